import Attestation
import Crypto
import EnclaveServer
import Foundation
import XCTest

/// The served certificates read by other TLS stacks: Python's `ssl` (+ `cryptography`),
/// `openssl s_client`, session resumption, and the `enclave verify` CLI.
final class RATLSExternalTests: XCTestCase {
    private var harness: RATLSHarness!

    override func setUp() async throws {
        harness = try await RATLSHarness.start()
    }

    override func tearDown() async throws {
        await harness.stop()
    }

    /// Prints `{"oid": hex, …, "spki": hex, "not_before": iso}` of the certificate served for SNI argv[2].
    private static let pythonReader = #"""
    import json, ssl, socket, sys
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    port, sni = int(sys.argv[1]), (sys.argv[2] or None)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni) as tls:
            der = tls.getpeercert(binary_form=True)
            version = tls.version()
    cert = x509.load_der_x509_certificate(der)
    out = {e.oid.dotted_string: e.value.value.hex() for e in cert.extensions if isinstance(e.value, x509.UnrecognizedExtension)}
    out["spki"] = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo).hex()
    out["not_before"] = cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%MZ")
    out["tls"] = version
    print(json.dumps(out))
    """#

    /// Connects, pings, keeps the session; proves resumption works; waits for a line on stdin
    /// (the test loads an app); resumes again and reports whether the session was reused and
    /// the apps hash now served.
    private static let pythonResumer = #"""
    import json, ssl, socket, sys
    from cryptography import x509
    port = int(sys.argv[1])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    def connect(session=None):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        tls = ctx.wrap_socket(raw, server_hostname="localhost", session=session)
        tls.sendall(len(b'"Ping"').to_bytes(4, "big") + b'"Ping"')
        head = tls.recv(4)  # TLS 1.3 tickets arrive after the handshake: read a response first
        tls.recv(int.from_bytes(head, "big"))
        der = tls.getpeercert(binary_form=True)
        result = (tls.session, tls.session_reused, der)
        tls.close()
        return result
    def apps_hash(der):
        if der is None:
            return None
        cert = x509.load_der_x509_certificate(der)
        try:
            return cert.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.3.6.1.4.1.65230.2.3")).value.value.hex()
        except x509.ExtensionNotFound:
            return "absent"
    session, _, der0 = connect()
    _, reused_before, der1 = connect(session)
    print("ready", flush=True)
    sys.stdin.readline()
    _, reused_after, der2 = connect(session)
    print(json.dumps({"reused_before": reused_before, "reused_after": reused_after,
                      "apps_before": apps_hash(der0), "apps_after": apps_hash(der2)}))
    """#

    private func requirePythonCryptography() throws {
        guard (try? RATLSProcess.run(["python3", "-c", "import cryptography"]))?.status == 0 else {
            throw OracleFailure(text: "python3 with the `cryptography` package is required for this cross-check (scripts/test installs tests/requirements.txt)")
        }
    }

    private func pythonRead(sni: String?) throws -> [String: String] {
        let result = try RATLSProcess.run(["python3", "-c", Self.pythonReader, String(harness.port), sni ?? ""])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try XCTUnwrap(object as? [String: String], result.stdout)
    }

    /// Checks what Python read against values recomputed here, including the report data.
    private func assertPython(_ read: [String: String], equals expected: [VerificationExpectations.ExtensionValue], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(read["tls"], "TLSv1.3", file: file, line: line)
        for value in expected {
            XCTAssertEqual(read[value.oid.description], Hex.encode(value.value), "\(value.oid)", file: file, line: line)
        }
        let spki = try XCTUnwrap(read["spki"].flatMap(Hex.decode))
        let notBefore = try XCTUnwrap(read["not_before"])
        let reportData = Array(SHA512.hash(data: Array(SHA256.hash(data: spki)) + Array(notBefore.utf8)))
        XCTAssertEqual(read[AttestationOID.sgxQuote.description], Hex.encode(Array("MOCK_QUOTE:".utf8) + reportData), "evidence = MOCK_QUOTE: ‖ report data", file: file, line: line)
    }

    func testPythonSSLReadsEveryExtensionAsRecomputed() throws {
        try requirePythonCryptography()
        let guest = try RATLSHarness.guest()
        let empty = try pythonRead(sni: nil)
        try assertPython(empty, equals: try RATLSExpected.serverExtensions(egressHash: harness.egressHash, apps: []))
        XCTAssertNil(empty[AttestationOID.appsHash.description], "no app loaded: no apps hash")
        XCTAssertNil(empty[AttestationOID.appsHashAlias.description])

        try harness.load("demo", hostname: "demo.enclave")
        try harness.load("zeta")
        let apps = [AttestedApp(name: "zeta", codeHash: guest.hash), AttestedApp(name: "demo", codeHash: guest.hash)]
        try assertPython(try pythonRead(sni: nil), equals: try RATLSExpected.serverExtensions(egressHash: harness.egressHash, apps: apps))
        let app = try pythonRead(sni: "demo.enclave")
        try assertPython(app, equals: RATLSExpected.appExtensions(hostname: "demo.enclave", codeHash: guest.hash, keySource: "generated", egressHash: harness.egressHash))
        XCTAssertNil(app[AttestationOID.appsHash.description], "a per-app certificate carries no combined apps hash")

        try harness.unload("zeta")
        try assertPython(try pythonRead(sni: nil), equals: try RATLSExpected.serverExtensions(
            egressHash: harness.egressHash, apps: [AttestedApp(name: "demo", codeHash: guest.hash)]))
    }

    func testResumedSessionAfterALoadSeesTheNewCertificate() throws {
        try requirePythonCryptography()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.pythonResumer, String(harness.port)]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let ready = output.fileHandleForReading.availableLine()
        XCTAssertEqual(ready, "ready", String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        try harness.load("demo")
        input.fileHandleForWriting.write(Data("go\n".utf8))
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], String(decoding: data, as: UTF8.self))
        let guest = try RATLSHarness.guest()
        XCTAssertEqual(result["reused_before"] as? Bool, true, "the test must be able to see resumption, or it proves nothing")
        XCTAssertEqual(result["reused_after"] as? Bool, false, "a ticket from before the load must not resume")
        XCTAssertEqual(result["apps_before"] as? String, "absent", "no app loaded: no apps hash")
        XCTAssertEqual(result["apps_after"] as? String, Hex.encode(try AppsHash.compute([AttestedApp(name: "demo", codeHash: guest.hash)])))
    }

    func testOpenSSLSClientReadsThePerAppCertificate() throws {
        guard RATLSProcess.available("openssl") else { throw OracleFailure(text: "openssl is not installed (scripts/test installs it)") }
        try harness.load("demo", hostname: "demo.enclave")
        let guest = try RATLSHarness.guest()
        let script = "openssl s_client -connect 127.0.0.1:\(harness.port) -servername demo.enclave -tls1_3 </dev/null 2>/dev/null | openssl x509 -outform DER | od -An -v -tx1"
        let result = try RATLSProcess.run(["sh", "-c", script])
        XCTAssertEqual(result.status, 0, result.stderr)
        let der = try XCTUnwrap(Hex.decode(result.stdout.filter { !$0.isWhitespace }), result.stdout)
        let report = RATLSExpected.verify(der, extensions: RATLSExpected.appExtensions(
            hostname: "demo.enclave", codeHash: guest.hash, keySource: "generated", egressHash: harness.egressHash), codeHash: guest.hash)
        XCTAssertTrue(report.passed, report.description)
        let text = try RATLSProcess.run(["sh", "-c", "openssl s_client -connect 127.0.0.1:\(harness.port) -servername demo.enclave </dev/null 2>/dev/null | openssl x509 -noout -text"])
        XCTAssertTrue(text.stdout.contains("1.3.6.1.4.1.65230.3.2") && text.stdout.contains("DNS:demo.enclave"), text.stdout)
    }

    func testEnclaveVerifyPrintsEveryCheckAndFailsOnAnyFailure() throws {
        let cli = try RATLSProcess.enclaveCLI()
        try harness.load("demo", hostname: "demo.enclave")
        let guest = try RATLSHarness.guest()
        let port = String(harness.port)

        var result = try RATLSProcess.run([cli, "verify", "--port", port])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("FAIL evidence.hardware"), result.stdout)

        result = try RATLSProcess.run([cli, "verify", "--port", port, "--sni", "demo.enclave", "--allow-simulated", "--expect-code-hash", Hex.encode(guest.hash)])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("PASS code-hash") && result.stdout.contains("PASS report-data.binding"), result.stdout)

        var wrong = guest.hash
        wrong[0] ^= 0xFF
        result = try RATLSProcess.run([cli, "verify", "--port", port, "--sni", "demo.enclave", "--allow-simulated", "--expect-code-hash", Hex.encode(wrong)])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("FAIL code-hash"), result.stdout)

        result = try RATLSProcess.run([cli, "verify", "--port", port, "--allow-simulated", "--challenge"])
        if !result.stderr.contains("libssl") {
            XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
            XCTAssertTrue(result.stdout.contains("PASS report-data.binding") && result.stdout.contains("nonce"), result.stdout)
        }

        // --verify on another command refuses the simulated server, and accepts it when allowed.
        result = try RATLSProcess.run([cli, "ping", "--port", port, "--verify"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("evidence.hardware"), result.stderr)
        result = try RATLSProcess.run([cli, "list", "--port", port, "--verify", "--allow-simulated"])
        XCTAssertEqual(result.status, 0, result.stderr)
    }
}

private extension FileHandle {
    /// Reads one line (without the newline), byte by byte, without consuming more.
    func availableLine() -> String {
        var bytes: [UInt8] = []
        while true {
            let byte = readData(ofLength: 1)
            guard let first = byte.first, first != 0x0A else { break }
            bytes.append(first)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
