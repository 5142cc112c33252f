import Crypto
import Foundation
import SwiftASN1
import X509
import XCTest

@testable import Attestation

final class CertificateBuilderTests: XCTestCase {
    let now = Date(timeIntervalSince1970: 1_735_787_059.75)  // 2025-01-02T03:04:19.75Z
    let apps = [AttestedApp(name: "b-app", codeHash: Fixtures.hash(2)), AttestedApp(name: "a-app", codeHash: Fixtures.hash(1))]

    func build(_ identity: CertificateIdentity, _ mode: BindingMode, provider: any AttestationProvider = SimulatedProvider()) throws -> AttestedCertificate {
        try AttestedCertificateBuilder(provider: provider).build(identity, mode: mode)
    }

    func testServerCertificateParsesBackWithRawNonCriticalExtensions() throws {
        let built = try build(.server(ServerFacts(egressCABundleHash: Fixtures.egressHash, apps: apps, hostnames: ["localhost"])), .deterministic(now: now))
        let cert = try Certificate(derEncoded: built.certificateDER)
        XCTAssertEqual(cert.notValidBefore.timeIntervalSince1970, 1_735_787_040, "NotBefore truncated to the minute")
        XCTAssertEqual(cert.notValidAfter.timeIntervalSince(cert.notValidBefore), 86_400)
        XCTAssertEqual(cert.publicKey, Certificate.PublicKey(built.privateKey.publicKey))
        XCTAssertTrue(cert.subject.description.contains("SIMULATED"), "simulated certificates say so: \(cert.subject)")

        let appsHash = try AppsHash.compute(apps)
        let expected: [(ASN1ObjectIdentifier, [UInt8])] = [
            (AttestationOID.sgxQuote, Array("MOCK_QUOTE:".utf8) + built.reportData.bytes),
            (AttestationOID.egressCABundleHash, Fixtures.egressHash),
            (AttestationOID.appsHash, appsHash),
            (AttestationOID.appsHashAlias, appsHash),
            (AttestationOID.configRoot, ConfigRoot.server(egressCABundleHash: Fixtures.egressHash, appsHash: appsHash).digest),
        ]
        for (oid, value) in expected {
            let ext = try XCTUnwrap(cert.extensions[oid: oid], "\(oid)")
            XCTAssertFalse(ext.critical, "\(oid)")
            XCTAssertEqual(Array(ext.value), value, "\(oid)")
        }
        XCTAssertNil(cert.extensions[oid: AttestationOID.appCodeHash])
        XCTAssertEqual(try cert.extensions.subjectAlternativeNames.map(Array.init), [.dnsName("localhost")])

        // Report data recomputed from the SPKI bytes as they sit in the DER.
        let spki = try CertificateFields.subjectPublicKeyInfoDER(certificateDER: built.certificateDER)
        XCTAssertEqual(spki.count, 91, "P-256 SPKI")
        XCTAssertEqual(ReportData(subjectPublicKeyInfoDER: spki, binding: .notBefore(cert.notValidBefore)), built.reportData)
        XCTAssertEqual(try Certificate(pemEncoded: built.certificatePEM), cert)
    }

    func testNoAppMeansNoAppsHashAndAnEmptyAppsLeaf() throws {
        let built = try build(.server(ServerFacts(egressCABundleHash: Fixtures.egressHash, apps: [], hostnames: ["localhost"])), .deterministic(now: now))
        let cert = try Certificate(derEncoded: built.certificateDER)
        XCTAssertNil(cert.extensions[oid: AttestationOID.appsHash])
        XCTAssertNil(cert.extensions[oid: AttestationOID.appsHashAlias])
        XCTAssertEqual(cert.extensions[oid: AttestationOID.configRoot].map { Array($0.value) },
                       ConfigRoot.server(egressCABundleHash: Fixtures.egressHash, appsHash: []).digest)
        let report = AttestationVerifier(expectations: .init(binding: .deterministic, allowSimulated: true, apps: [], now: now))
            .verify(certificateDER: built.certificateDER)
        XCTAssertTrue(report.passed, report.description)
    }

    func testAppCertificateCarriesCodeHashKeySourceAndHostname() throws {
        let facts = AppFacts(hostname: "test-app", codeHash: Fixtures.hash(0xcc), keySource: "byok:" + String(repeating: "ab", count: 32), egressCABundleHash: Fixtures.egressHash)
        let built = try build(.app(facts), .deterministic(now: now))
        let cert = try Certificate(derEncoded: built.certificateDER)
        XCTAssertEqual(cert.extensions[oid: AttestationOID.appCodeHash].map { Array($0.value) }, Fixtures.hash(0xcc))
        XCTAssertEqual(cert.extensions[oid: AttestationOID.appKeySource].map { String(decoding: $0.value, as: UTF8.self) }, facts.keySource)
        // 3.1 in the original's formula, recomputed here from its definition.
        let original = Array(SHA256.hash(data: Array(SHA256.hash(data: facts.codeHash)) + Array(SHA256.hash(data: Array(facts.keySource.utf8)))))
        XCTAssertEqual(cert.extensions[oid: AttestationOID.appConfigRoot].map { Array($0.value) }, original)
        XCTAssertEqual(AttestationOID.appLabelledConfigRoot.description, "1.3.6.1.4.1.65230.99.3.1")
        XCTAssertEqual(
            cert.extensions[oid: AttestationOID.appLabelledConfigRoot].map { Array($0.value) },
            ConfigRoot.app(hostname: "test-app", codeHash: facts.codeHash, keySource: facts.keySource, egressCABundleHash: Fixtures.egressHash).digest
        )
        XCTAssertEqual(try cert.extensions.subjectAlternativeNames.map(Array.init), [.dnsName("test-app")])
        XCTAssertNil(cert.extensions[oid: AttestationOID.appsHash])
    }

    func testAppChosenExtensionsGoUnderTheirArcRawAndOutsideTheConfigRoot() throws {
        var facts = AppFacts(hostname: "test-app", codeHash: Fixtures.hash(0xcc), keySource: "generated", egressCABundleHash: Fixtures.egressHash)
        let plain = try Certificate(derEncoded: try build(.app(facts), .deterministic(now: now)).certificateDER)
        facts.appExtensions = [7: [1, 2, 3], 1: Fixtures.hash(0xee)]
        let cert = try Certificate(derEncoded: try build(.app(facts), .deterministic(now: now)).certificateDER)
        let seven: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 65230, 3, 5, 7]
        XCTAssertEqual(try AttestationOID.appExtension(7), seven)
        XCTAssertEqual(cert.extensions[oid: seven].map { Array($0.value) }, [1, 2, 3])
        XCTAssertEqual(cert.extensions[oid: [1, 3, 6, 1, 4, 1, 65230, 3, 5, 1]].map { Array($0.value) }, Fixtures.hash(0xee))
        XCTAssertEqual(cert.extensions[oid: seven]?.critical, false)
        XCTAssertEqual(cert.extensions[oid: AttestationOID.appConfigRoot], plain.extensions[oid: AttestationOID.appConfigRoot])
    }

    func testChallengeModeBindsTheNonceAndKeepsWholeSeconds() throws {
        let nonce = (0 ..< 32).map { UInt8($0) }
        let built = try build(.server(ServerFacts(egressCABundleHash: Fixtures.egressHash, apps: [])), .challenge(nonce: nonce, now: now))
        let cert = try Certificate(derEncoded: built.certificateDER)
        XCTAssertEqual(cert.notValidBefore.timeIntervalSince1970, 1_735_787_059)
        let spki = try CertificateFields.subjectPublicKeyInfoDER(certificateDER: built.certificateDER)
        XCTAssertEqual(built.reportData, ReportData(subjectPublicKeyInfoDER: spki, binding: .nonce(nonce)))
    }

    func testEveryBuildHasAFreshKey() throws {
        let identity = CertificateIdentity.server(ServerFacts(egressCABundleHash: Fixtures.egressHash, apps: []))
        let a = try build(identity, .deterministic(now: now))
        let b = try build(identity, .deterministic(now: now))
        XCTAssertNotEqual(a.privateKey.publicKey.rawRepresentation, b.privateKey.publicKey.rawRepresentation)
        XCTAssertNotEqual(a.reportData, b.reportData)
    }

    func testMalformedFactsAreRejectedWithNamedErrors() {
        XCTAssertThrowsError(try build(.server(ServerFacts(egressCABundleHash: [1], apps: [])), .deterministic(now: now))) {
            XCTAssertEqual($0 as? AttestationError, .invalidHashLength(field: "egress CA bundle hash", length: 1))
        }
        let bad = AppFacts(hostname: "bad host/é", codeHash: Fixtures.hash(1), keySource: "generated", egressCABundleHash: Fixtures.egressHash)
        XCTAssertThrowsError(try build(.app(bad), .deterministic(now: now))) {
            XCTAssertEqual($0 as? AttestationError, .invalidHostname("bad host/é"))
        }
        XCTAssertThrowsError(try build(.server(ServerFacts(egressCABundleHash: Fixtures.egressHash, apps: [])), .challenge(nonce: [], now: now))) {
            XCTAssertEqual($0 as? AttestationError, .invalidNonceLength(0))
        }
    }

    func testOpenSSLReadsCertificateAndMatchingKey() throws {
        let dir = try Fixtures.tempDirectory(self)
        let built = try build(.server(ServerFacts(egressCABundleHash: Fixtures.egressHash, apps: apps, hostnames: ["localhost"])), .deterministic(now: now))
        try built.certificatePEM.write(toFile: dir + "/cert.pem", atomically: true, encoding: .utf8)
        try built.privateKeyPEM.write(toFile: dir + "/key.pem", atomically: true, encoding: .utf8)
        let text = try Shell.run("/usr/bin/env", ["openssl", "x509", "-in", dir + "/cert.pem", "-noout", "-text"])
        XCTAssertTrue(text.contains("1.3.6.1.4.1.65230.2.3"), text)
        XCTAssertTrue(text.contains("1.2.840.113741.1.13.1.0"), text)
        XCTAssertTrue(text.contains("ecdsa-with-SHA256"), text)
        let certKey = try Shell.run("/usr/bin/env", ["openssl", "x509", "-in", dir + "/cert.pem", "-noout", "-pubkey"])
        let keyPub = try Shell.run("/usr/bin/env", ["openssl", "pkey", "-in", dir + "/key.pem", "-pubout"])
        XCTAssertEqual(certKey, keyPub)
        XCTAssertTrue(built.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"), "PKCS#8 for NIOSSL")
    }

    func testBuildTime() throws {
        let identity = CertificateIdentity.server(ServerFacts(egressCABundleHash: Fixtures.egressHash, apps: apps))
        let rounds = 200
        let start = Date()
        for _ in 0 ..< rounds { _ = try build(identity, .deterministic(now: now)) }
        let perBuild = Date().timeIntervalSince(start) / Double(rounds)
        print("attested certificate build (simulated provider, incl. key generation): \(String(format: "%.3f", perBuild * 1000)) ms")
        XCTAssertLessThan(perBuild, 0.05)
    }
}

/// Runs a command and returns its stdout; throws with stderr on a non-zero exit.
enum Shell {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: stdout, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(text)\(String(decoding: stderr, as: UTF8.self))")
        }
        return text
    }
}
