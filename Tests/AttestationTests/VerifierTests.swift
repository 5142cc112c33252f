import Crypto
import Foundation
import SwiftASN1
import X509
import XCTest

@testable import Attestation

final class VerifierTests: XCTestCase {
    let now = Date(timeIntervalSince1970: 1_735_787_059)
    let apps = [AttestedApp(name: "test-app", codeHash: Fixtures.hash(7))]
    let appFacts = AppFacts(hostname: "test-app", codeHash: Fixtures.hash(7), keySource: "generated", egressCABundleHash: Fixtures.egressHash)

    func serverCert(_ mode: BindingMode? = nil, provider: any AttestationProvider = SimulatedProvider()) throws -> [UInt8] {
        try AttestedCertificateBuilder(provider: provider)
            .build(.server(ServerFacts(egressCABundleHash: Fixtures.egressHash, apps: apps)), mode: mode ?? .deterministic(now: now))
            .certificateDER
    }

    func verify(_ der: [UInt8], _ expectations: VerificationExpectations) -> VerificationReport {
        AttestationVerifier(expectations: expectations).verify(certificateDER: der)
    }

    func testSimulatedDeterministicPassesOnlyWhenAllowed() throws {
        let der = try serverCert()
        let allowed = verify(der, VerificationExpectations(binding: .deterministic, allowSimulated: true, apps: apps, now: now))
        XCTAssertTrue(allowed.passed, allowed.description)
        XCTAssertEqual(allowed.checks.map(\.name), [
            "certificate.parse", "certificate.self-signature", "certificate.validity", "evidence.present",
            "evidence.hardware", "evidence.structure", "report-data.binding", "config-root.consistency", "apps-hash",
        ])
        XCTAssertEqual(allowed.evidenceFormat, .simulated)
        XCTAssertTrue(allowed.check(named: "evidence.hardware")?.detail.contains("proves nothing") ?? false)

        let refused = verify(der, VerificationExpectations(binding: .deterministic))
        XCTAssertFalse(refused.passed)
        XCTAssertEqual(refused.failures.map(\.name), ["evidence.hardware"])
        XCTAssertTrue(refused.description.contains("FAIL evidence.hardware"), refused.description)
    }

    func testChallengeNonceMustMatch() throws {
        let nonce = Array(repeating: UInt8(0x42), count: 32)
        let der = try serverCert(.challenge(nonce: nonce, now: now))
        XCTAssertTrue(verify(der, VerificationExpectations(binding: .nonce(nonce), allowSimulated: true)).passed)
        let wrong = verify(der, VerificationExpectations(binding: .nonce(Array(repeating: 0x43, count: 32)), allowSimulated: true))
        XCTAssertEqual(wrong.failures.map(\.name), ["report-data.binding"])
        let deterministic = verify(der, VerificationExpectations(binding: .deterministic, allowSimulated: true))
        XCTAssertEqual(deterministic.failures.map(\.name), ["report-data.binding"], "a challenge certificate is not a deterministic one")
    }

    func testCodeHashAndExtensionExpectations() throws {
        let der = try AttestedCertificateBuilder(provider: SimulatedProvider()).build(.app(appFacts), mode: .deterministic(now: now)).certificateDER
        let good = verify(der, VerificationExpectations(
            binding: .deterministic, allowSimulated: true, codeHash: Fixtures.hash(7),
            extensions: [.init(oid: AttestationOID.appKeySource, value: Array("generated".utf8))]
        ))
        XCTAssertTrue(good.passed, good.description)
        let bad = verify(der, VerificationExpectations(
            binding: .deterministic, allowSimulated: true, codeHash: Fixtures.hash(8),
            extensions: [.init(oid: AttestationOID.appsHash, value: Fixtures.hash(1))]
        ))
        XCTAssertEqual(bad.failures.map(\.name), ["code-hash", "extension 1.3.6.1.4.1.65230.2.3"])
        XCTAssertTrue(bad.check(named: "extension 1.3.6.1.4.1.65230.2.3")?.detail.contains("missing") ?? false)
    }

    func testExpectedAppsMustMatchAppsHash() throws {
        let der = try serverCert()
        let other = [AttestedApp(name: "test-app", codeHash: Fixtures.hash(9))]
        let report = verify(der, VerificationExpectations(binding: .deterministic, allowSimulated: true, apps: other))
        XCTAssertEqual(report.failures.map(\.name), ["apps-hash"])
    }

    func testUnsignedHardwareEvidenceIsBoundButRefused() throws {
        // Synthetic quotes and reports have the right layout and a correct binding, but no vendor
        // signature: exactly what a host forging evidence could produce. They must fail.
        for format in [EvidenceFormat.sgxQuote, .tdxQuote, .sevSnpReport] {
            let der = try serverCert(provider: SyntheticHardwareProvider(format: format))
            let report = verify(der, VerificationExpectations(binding: .deterministic, acceptedFormats: [format]))
            XCTAssertFalse(report.passed, report.description)
            XCTAssertEqual(report.check(named: "report-data.binding")?.passed, true, report.description)
            XCTAssertEqual(report.failures.map(\.name), format == .sevSnpReport ? ["collateral.present"]
                           : ["quote.pck-chain", "quote.qe-report-signature", "quote.qe-report-binding", "quote.signature", "collateral.present"], report.description)
            XCTAssertEqual(report.evidenceFormat, format)
            XCTAssertFalse(report.notChecked.isEmpty)
            let wrongKind = verify(der, VerificationExpectations(binding: .deterministic, acceptedFormats: [.simulated]))
            XCTAssertTrue(wrongKind.failures.map(\.name).contains("evidence.kind"))
        }
        let tdx = try serverCert(provider: SyntheticHardwareProvider(format: .tdxQuote))
        let other = Measurement(name: "MRTD", value: Array(repeating: 0, count: 48))
        XCTAssertTrue(verify(tdx, VerificationExpectations(binding: .deterministic, measurements: [other])).failures.map(\.name).contains("measurement.MRTD"))
    }

    func testEvidenceForAnotherKeyFailsBinding() throws {
        struct OtherKeyProvider: AttestationProvider {
            var kind: AttestationKind { .simulated }
            var isHardware: Bool { false }
            func evidence(reportData: [UInt8]) throws -> Evidence {
                // Evidence a MITM might replay: valid form, bound to someone else's key.
                try SimulatedProvider().evidence(reportData: reportData.map { $0 ^ 1 })
            }
        }
        let report = verify(try serverCert(provider: OtherKeyProvider()), VerificationExpectations(binding: .deterministic, allowSimulated: true))
        XCTAssertEqual(report.failures.map(\.name), ["report-data.binding"])
    }

    /// Hand-built certificates for what the builder never produces.
    func handBuilt(configRoot: [UInt8], evidence: [Certificate.Extension]? = nil, signer: P256.Signing.PrivateKey? = nil,
                   aliasValue: [UInt8]? = nil) throws -> [UInt8] {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let spki = try AttestedCertificateBuilder.derBytes(publicKey)
        let rd = ReportData(subjectPublicKeyInfoDER: spki, binding: .notBefore(now))
        let mock = try SimulatedProvider().evidence(reportData: rd.bytes)
        let appsHash = try AppsHash.compute(apps)
        var extensions = Certificate.Extensions()
        for ext in evidence ?? [Certificate.Extension(oid: mock.oid, critical: false, value: mock.bytes[...])] { try extensions.append(ext) }
        try extensions.append(Certificate.Extension(oid: AttestationOID.configRoot, critical: false, value: configRoot[...]))
        try extensions.append(Certificate.Extension(oid: AttestationOID.egressCABundleHash, critical: false, value: Fixtures.egressHash[...]))
        try extensions.append(Certificate.Extension(oid: AttestationOID.appsHash, critical: false, value: appsHash[...]))
        try extensions.append(Certificate.Extension(oid: AttestationOID.appsHashAlias, critical: false, value: (aliasValue ?? appsHash)[...]))
        let name = try DistinguishedName { CommonName("hand-built") }
        let cert = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: ReportData.truncatedToMinute(now), notValidAfter: now + 3600,
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions, issuerPrivateKey: Certificate.PrivateKey(signer ?? key)
        )
        return try AttestedCertificateBuilder.derBytes(cert)
    }

    func testInconsistentConfigRootFails() throws {
        let expectations = VerificationExpectations(binding: .deterministic, allowSimulated: true)
        let root = ConfigRoot.server(egressCABundleHash: Fixtures.egressHash, appsHash: try AppsHash.compute(apps)).digest
        XCTAssertTrue(verify(try handBuilt(configRoot: root), expectations).passed)
        let report = verify(try handBuilt(configRoot: Fixtures.hash(0)), expectations)
        XCTAssertEqual(report.failures.map(\.name), ["config-root.consistency"])
        // The 2.5 alias must carry the 2.3 value.
        let alias = verify(try handBuilt(configRoot: root, aliasValue: Fixtures.hash(3)), expectations)
        XCTAssertEqual(alias.failures.map(\.name), ["config-root.consistency"])
        XCTAssertTrue(alias.check(named: "config-root.consistency")?.detail.contains("differ") ?? false)
    }

    func testForeignSignatureMissingEvidenceAndGarbage() throws {
        let expectations = VerificationExpectations(binding: .deterministic, allowSimulated: true)
        let root = ConfigRoot.server(egressCABundleHash: Fixtures.egressHash, appsHash: try AppsHash.compute(apps)).digest
        let foreign = verify(try handBuilt(configRoot: root, signer: P256.Signing.PrivateKey()), expectations)
        XCTAssertEqual(foreign.failures.map(\.name), ["certificate.self-signature"])

        let none = verify(try handBuilt(configRoot: root, evidence: []), expectations)
        XCTAssertEqual(none.failures.map(\.name), ["evidence.present"])
        XCTAssertFalse(none.passed)

        let truncated = [Certificate.Extension(oid: AttestationOID.sgxQuote, critical: false, value: Array("MOCK_QUOTE:abc".utf8)[...])]
        XCTAssertEqual(verify(try handBuilt(configRoot: root, evidence: truncated), expectations).failures.map(\.name), ["evidence.structure"])

        let garbage = verify([0x30, 0x03, 0x02, 0x01, 0x00], expectations)
        XCTAssertEqual(garbage.failures.map(\.name), ["certificate.parse"])
        XCTAssertFalse(verify([], expectations).passed)
    }
}
