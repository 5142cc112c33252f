import Crypto
import Foundation
import XCTest

@testable import Attestation

/// Certificates from the Swift builder, verified by the Python verifier
/// (`python/test_enclaveos_verify.py`, class SwiftFixtureTests): same check names,
/// same binding, code hash = SHA-256 of the app bytes, and a real TLS handshake
/// with the Swift-made key through Python's `ssl`.
final class PythonCrossCheckTests: XCTestCase {
    static var repositoryRoot: URL {
        // Resolve symlinks so this also works from a scratch package that links the test folder.
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func testPythonVerifierAcceptsSwiftCertificates() throws {
        let script = Self.repositoryRoot.appendingPathComponent("python/test_enclaveos_verify.py").path
        guard FileManager.default.fileExists(atPath: script) else { return XCTFail("missing \(script)") }
        let dir = try Fixtures.tempDirectory(self)
        let builder = AttestedCertificateBuilder(provider: SimulatedProvider())
        let now = Date()
        let appBytes = Array("\0asm-not-really-a-component".utf8)
        let codeHash = Array(SHA256.hash(data: appBytes))
        let apps = [AttestedApp(name: "test-app", codeHash: codeHash), AttestedApp(name: "other", codeHash: Fixtures.hash(3))]
        let nonce = (0 ..< 32).map { UInt8(255 - $0) }

        struct Case {
            var name: String
            var identity: CertificateIdentity
            var mode: BindingMode
            var expectations: VerificationExpectations
            var extra: [String: Any]
        }
        let cases = [
            Case(name: "server", identity: .server(ServerFacts(egressCABundleHash: Fixtures.egressHash, apps: apps, hostnames: ["localhost"])),
                 mode: .deterministic(now: now), expectations: .init(binding: .deterministic, allowSimulated: true, apps: apps),
                 extra: ["apps": apps.map { ["name": $0.name, "code_hash": Hex.encode($0.codeHash)] }]),
            Case(name: "app", identity: .app(AppFacts(hostname: "test-app", codeHash: codeHash, keySource: "generated", egressCABundleHash: Fixtures.egressHash)),
                 mode: .deterministic(now: now), expectations: .init(binding: .deterministic, allowSimulated: true, codeHash: codeHash),
                 extra: ["code_hash": Hex.encode(codeHash), "app_bytes_hex": Hex.encode(appBytes)]),
            Case(name: "challenge", identity: .server(ServerFacts(egressCABundleHash: Fixtures.egressHash, apps: [])),
                 mode: .challenge(nonce: nonce, now: now), expectations: .init(binding: .nonce(nonce), allowSimulated: true),
                 extra: ["nonce": Hex.encode(nonce)]),
        ]
        var entries: [[String: Any]] = []
        for item in cases {
            let built = try builder.build(item.identity, mode: item.mode)
            try built.certificatePEM.write(toFile: "\(dir)/\(item.name).pem", atomically: true, encoding: .utf8)
            try built.privateKeyPEM.write(toFile: "\(dir)/\(item.name)-key.pem", atomically: true, encoding: .utf8)
            let report = AttestationVerifier(expectations: item.expectations).verify(certificateDER: built.certificateDER)
            XCTAssertTrue(report.passed, report.description)
            var entry: [String: Any] = ["cert": "\(item.name).pem", "key": "\(item.name)-key.pem", "swift_check_names": report.checks.map(\.name)]
            entry.merge(item.extra) { $1 }
            entries.append(entry)
        }
        let manifest = try JSONSerialization.data(withJSONObject: ["certificates": entries], options: [.prettyPrinted])
        try manifest.write(to: URL(fileURLWithPath: dir + "/manifest.json"))

        let output = try Shell.run("/bin/sh", ["-c", "python3 \"$0\" -v 2>&1", script], environment: ["ENCLAVEOS_SWIFT_FIXTURES": dir])
        XCTAssertTrue(output.contains("test_every_swift_certificate_verifies_with_the_same_check_names (") && output.contains("OK"), output)
        XCTAssertFalse(output.contains("skipped"), "the Swift fixture tests must run, not skip:\n\(output)")
    }
}
