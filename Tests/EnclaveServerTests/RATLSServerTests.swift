import Attestation
import EnclaveClient
import EnclaveServer
import Foundation
import NIOCore
import NIOPosix
import X509
import XCTest

/// The RA-TLS identity on a real listener: attested default and per-app certificates, rotation
/// on load/unload, challenge nonces, and client-side refusal.
final class RATLSServerTests: XCTestCase {
    private var harness: RATLSHarness!

    override func setUp() async throws {
        harness = try await RATLSHarness.start()
    }

    override func tearDown() async throws {
        await harness.stop()
    }

    func testDefaultCertificateAttestsTheAppsAndRotatesOnLoadAndUnload() throws {
        let empty = try harness.fetch()
        var report = RATLSExpected.verify(empty, extensions: try RATLSExpected.serverExtensions(egressHash: harness.egressHash, apps: []))
        XCTAssertTrue(report.passed, report.description)

        try harness.load("demo")
        let guest = try RATLSHarness.guest()
        let loaded = try harness.fetch()
        XCTAssertNotEqual(loaded, empty, "a load must change the certificate new connections get")
        let apps = [AttestedApp(name: "demo", codeHash: guest.hash)]
        report = RATLSExpected.verify(loaded, extensions: try RATLSExpected.serverExtensions(egressHash: harness.egressHash, apps: apps))
        XCTAssertTrue(report.passed, report.description)
        // Another apps list does not match: both apps hash OIDs and the root differ.
        let other = [AttestedApp(name: "demo", codeHash: [UInt8](repeating: 0, count: 32))]
        report = RATLSExpected.verify(loaded, extensions: try RATLSExpected.serverExtensions(egressHash: harness.egressHash, apps: other))
        XCTAssertEqual(report.failures.map(\.name), ["extension 1.3.6.1.4.1.65230.2.3", "extension 1.3.6.1.4.1.65230.2.5",
                                                     "extension 1.3.6.1.4.1.65230.1.1"], report.description)
        // Without apps the certificate carries no apps hash under either OID.
        let emptyExtensions = try Certificate(derEncoded: empty).extensions
        XCTAssertNil(emptyExtensions[oid: AttestationOID.appsHash])
        XCTAssertNil(emptyExtensions[oid: AttestationOID.appsHashAlias])

        try harness.unload("demo")
        let unloaded = try harness.fetch()
        XCTAssertNotEqual(unloaded, loaded)
        report = RATLSExpected.verify(unloaded, extensions: try RATLSExpected.serverExtensions(egressHash: harness.egressHash, apps: []))
        XCTAssertTrue(report.passed, report.description)
    }

    func testSimulatedEvidenceIsRefusedUnlessAllowed() throws {
        let der = try harness.fetch()
        let strict = AttestationVerifier(expectations: .init(binding: .deterministic)).verify(certificateDER: der)
        XCTAssertEqual(strict.failures.map(\.name), ["evidence.hardware"], strict.description)
        XCTAssertEqual(strict.evidenceFormat, .simulated)
    }

    func testPerAppCertificateIsSelectedBySNI() throws {
        try harness.load("demo", hostname: "Demo.Enclave")
        let guest = try RATLSHarness.guest()
        let der = try harness.fetch(sni: "demo.enclave")
        let expected = RATLSExpected.appExtensions(hostname: "demo.enclave", codeHash: guest.hash, keySource: "generated", egressHash: harness.egressHash)
        var report = RATLSExpected.verify(der, extensions: expected, codeHash: guest.hash)
        XCTAssertTrue(report.passed, report.description)
        XCTAssertEqual(try harness.identity.appCertificate(hostname: "demo.enclave")?.certificateDER, der)

        var wrong = guest.hash
        wrong[0] ^= 1
        report = RATLSExpected.verify(der, extensions: [], codeHash: wrong)
        XCTAssertEqual(report.failures.map(\.name), ["code-hash"], report.description)

        // An SNI that is no app's gets the server certificate, which has no code hash.
        let other = try harness.fetch(sni: "nobody.enclave")
        XCTAssertEqual(other, try harness.identity.serverCertificate().certificateDER)
        XCTAssertFalse(RATLSExpected.verify(other, extensions: [], codeHash: guest.hash).passed)
    }

    func testChallengeNonceGetsACertificateBoundToItForThisConnectionOnly() throws {
        try harness.load("demo", hostname: "demo.enclave")
        let guest = try RATLSHarness.guest()
        let nonce = (0 ..< 32).map { _ in UInt8.random(in: 0 ... 255) }
        let first: [UInt8]
        do {
            first = try ChallengeClient.fetchCertificate(host: "127.0.0.1", port: harness.port, serverName: nil, nonce: nonce)
        } catch ChallengeClientError.openSSLUnavailable(let why) {
            throw OracleFailure(text: "no system OpenSSL 3 to send extension 0xFFBB (scripts/test installs libssl3): \(why)")
        }
        let serverExpected = try RATLSExpected.serverExtensions(egressHash: harness.egressHash, apps: [AttestedApp(name: "demo", codeHash: guest.hash)])
        var report = RATLSExpected.verify(first, binding: .nonce(nonce), extensions: serverExpected)
        XCTAssertTrue(report.passed, report.description)
        XCTAssertNotEqual(first, try harness.identity.serverCertificate().certificateDER)

        var wrongNonce = nonce
        wrongNonce[31] ^= 0x80
        report = RATLSExpected.verify(first, binding: .nonce(wrongNonce), extensions: [])
        XCTAssertEqual(report.failures.map(\.name), ["report-data.binding"], report.description)
        report = RATLSExpected.verify(first, binding: .deterministic, extensions: [])
        XCTAssertEqual(report.failures.map(\.name), ["report-data.binding"], report.description)

        // Same nonce again: a new certificate (fresh key) — made per connection, never cached.
        let second = try ChallengeClient.fetchCertificate(host: "127.0.0.1", port: harness.port, serverName: nil, nonce: nonce)
        XCTAssertNotEqual(first, second)

        // With an app's SNI: that app's facts, bound to the nonce.
        let appNonce: [UInt8] = [0x42]
        let app = try ChallengeClient.fetchCertificate(host: "127.0.0.1", port: harness.port, serverName: "demo.enclave", nonce: appNonce)
        let appExpected = RATLSExpected.appExtensions(hostname: "demo.enclave", codeHash: guest.hash, keySource: "generated", egressHash: harness.egressHash)
        report = RATLSExpected.verify(app, binding: .nonce(appNonce), extensions: appExpected, codeHash: guest.hash)
        XCTAssertTrue(report.passed, report.description)

        // Deterministic clients are unaffected.
        XCTAssertEqual(try harness.fetch(), try harness.identity.serverCertificate().certificateDER)
    }

    func testClientWithVerifyRefusesSimulatedUnlessAllowedAndChecksCodeHash() throws {
        XCTAssertThrowsError(try EnclaveConnection.connect(host: "127.0.0.1", port: harness.port, verification: .attested(.init(binding: .deterministic)))) { error in
            XCTAssertTrue("\(error)".contains("evidence.hardware"), "\(error)")
        }
        let allowed = try EnclaveConnection.connect(host: "127.0.0.1", port: harness.port, verification: .attested(.init(binding: .deterministic, allowSimulated: true)))
        try allowed.ping()
        allowed.close()

        try harness.load("demo", hostname: "demo.enclave")
        let guest = try RATLSHarness.guest()
        let app = try EnclaveConnection.connect(host: "127.0.0.1", port: harness.port, serverName: "demo.enclave",
                                                verification: .attested(.init(binding: .deterministic, allowSimulated: true, codeHash: guest.hash)))
        try app.ping()
        app.close()
        var wrong = guest.hash
        wrong[5] ^= 1
        XCTAssertThrowsError(try EnclaveConnection.connect(host: "127.0.0.1", port: harness.port, serverName: "demo.enclave",
                                                           verification: .attested(.init(binding: .deterministic, allowSimulated: true, codeHash: wrong)))) { error in
            XCTAssertTrue("\(error)".contains("code-hash"), "\(error)")
        }
    }

    func testNonTLSBytesAreRefusedAndTheServerKeepsServing() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let attempts: [[UInt8]] = [
            Array("GET / HTTP/1.1\r\n\r\n".utf8),        // not TLS
            [0x16, 0x03, 0x01, 0xFF, 0xFF, 0x01],            // record longer than TLS allows
            [0x16, 0x03, 0x01, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00],  // not a ClientHello
            [0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0xFF, 0xFF, 0xFF],        // ClientHello over the cap
        ]
        for garbage in attempts {
            let channel = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: harness.port).get()
            var buffer = channel.allocator.buffer(capacity: 64)
            buffer.writeBytes(garbage)
            try await channel.writeAndFlush(buffer)
            // The server closes the connection; closeFuture completes instead of hanging.
            try await channel.closeFuture.get()
        }
        XCTAssertNoThrow(try harness.fetch())
        try await group.shutdownGracefully()
    }
}
