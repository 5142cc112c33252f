import EnclaveClient
import EnclaveProtocol
@testable import EnclaveServer
import Foundation
import XCTest

/// Who may manage apps, over real TLS connections: with operators configured, loads, replaces,
/// unloads and shutdowns need an operator token beside the message (`"auth"`); calls and reads
/// stay open; an app loaded with `app_auth` answers only callers presenting it.
final class OperatorAuthorizationTests: XCTestCase {
    private static let token = ServerHarness.operatorToken
    private var harness: ServerHarness!
    private var client: RawTLSClient!

    override func setUp() async throws {
        harness = try await ServerHarness.start { $0.operatorToken = Self.token }
        client = try await harness.connect()
    }

    override func tearDown() async throws {
        await harness?.stop()
    }

    private func guest() throws -> String {
        Data(try WasmAppTests.guestBytes()).base64EncodedString()
    }

    private func load(_ name: String, auth: String?, extra: String = "") async throws -> JSON {
        let authField = auth.map { #""auth":"\#($0)","# } ?? ""
        return try await client.management(#"{\#(authField)"wasm_load":{"name":"\#(name)","bytes":"\#(try guest())"\#(extra)}}"#)
    }

    func testAnonymousLoadReplaceAndUnloadAreRefusedAndTheTokenIsAccepted() async throws {
        let anonymous = try await load("guest", auth: nil)
        XCTAssertEqual(anonymous["status"]?.stringValue, "error")
        let refusal = try XCTUnwrap(anonymous["message"]?.stringValue)
        XCTAssertTrue(refusal.hasPrefix("unauthorized: wasm_load needs an operator token"), refusal)
        XCTAssertTrue(refusal.contains(#""auth""#), "the refusal says where the token goes: \(refusal)")
        let wrong = try await load("guest", auth: "not-the-operator-token")
        XCTAssertEqual(wrong["message"]?.stringValue, "unauthorized: wasm_load refused: wrong operator token")
        let none = try await client.management(#"{"wasm_list":{}}"#)
        XCTAssertEqual(none["apps"]?.arrayValue?.count, 0, "a refused load registers nothing")

        let loaded = try await load("guest", auth: Self.token)
        XCTAssertEqual(loaded["status"]?.stringValue, "loaded", loaded.serializedString)
        XCTAssertTrue(harness.log.all.contains { $0.hasPrefix("operator 'operator': loaded app 'guest'") }, "\(harness.log.all)")

        // Calls and reads stay open.
        let call = try await client.management(#"{"wasm_call":{"app":"guest","function":"add","params":[{"type":"u32","value":2},{"type":"u32","value":3}]}}"#)
        XCTAssertEqual(call.serializedString, #"{"status":"ok","returns":[{"type":"u32","value":5}]}"#)

        let replace = try await load("guest", auth: nil, extra: #","replace":true"#)
        XCTAssertTrue(replace["message"]?.stringValue?.hasPrefix("unauthorized: wasm_load with replace needs an operator token") ?? false,
                      replace.serializedString)
        let unload = try await client.management(#"{"wasm_unload":{"name":"guest"}}"#)
        XCTAssertTrue(unload["message"]?.stringValue?.hasPrefix("unauthorized: wasm_unload needs an operator token") ?? false,
                      unload.serializedString)
        XCTAssertNotNil(harness.server.registry.app(named: "guest"), "a refused unload leaves the app (and its key) alone")

        let unloaded = try await client.management(#"{"auth":"\#(Self.token)","wasm_unload":{"name":"guest"}}"#)
        XCTAssertEqual(unloaded.serializedString, #"{"status":"unloaded","name":"guest"}"#)
    }

    func testAStreamedLoadNeedsTheTokenAtBegin() async throws {
        let begin = #"{"wasm_load_begin":{"name":"big","size":5,"sha256":"\#(String(repeating: "a", count: 64))"}}"#
        let anonymous = try await client.management(begin)
        XCTAssertTrue(anonymous["message"]?.stringValue?.hasPrefix("unauthorized: wasm_load needs an operator token") ?? false,
                      anonymous.serializedString)
        XCTAssertEqual(harness.server.uploadUsage.uploads, 0, "a refused begin reserves nothing")

        // The Swift client sends the token beside wasm_load_begin; the upload id carries the rest.
        let connection = try await EnclaveConnection.connect(host: "127.0.0.1", port: try XCTUnwrap(harness.address.port))
        let bytes = try WasmAppTests.guestBytes()
        XCTAssertThrowsError(try connection.load(name: "big", source: ComponentSource(bytes: bytes), method: .streamed(chunkSize: 4096))) {
            XCTAssertTrue("\($0)".contains("unauthorized: wasm_load needs an operator token"), "\($0)")
        }
        let app = try connection.load(name: "big", source: ComponentSource(bytes: bytes), method: .streamed(chunkSize: 4096),
                                      operatorToken: Self.token)
        XCTAssertEqual(app.name, "big")
        await connection.close()
    }

    func testShutdownInTheOriginalsEnvelopeForm() async throws {
        let wrong = try await client.request(#"{"auth":"nope-nope-nope-nope","Shutdown":null}"#)
        XCTAssertEqual(wrong.errorMessage, "unauthorized: Shutdown refused: wrong operator token")
        let payload = try await client.roundTrip(Array(#"{"auth":"\#(Self.token)","Shutdown":null}"#.utf8))
        XCTAssertEqual(String(decoding: payload, as: UTF8.self), #""Ok""#)
        await harness.server.waitUntilClosed()
        XCTAssertTrue(harness.log.all.contains("operator 'operator': Shutdown accepted"), "\(harness.log.all)")
    }

    func testSeveralNamedOperatorsEachSeenInTheLog() async throws {
        await harness.stop()
        harness = try await ServerHarness.start {
            $0.operatorToken = nil
            $0.operators = try! OperatorCredentials([(name: "alice", token: "alice-token-0123456789"),
                                                     (name: "bob", token: "bob-token-0123456789ab")])
        }
        client = try await harness.connect()
        let loaded = try await load("guest", auth: "bob-token-0123456789ab")
        XCTAssertEqual(loaded["status"]?.stringValue, "loaded", loaded.serializedString)
        let unloaded = try await client.management(#"{"auth":"alice-token-0123456789","wasm_unload":{"name":"guest"}}"#)
        XCTAssertEqual(unloaded["status"]?.stringValue, "unloaded")
        let log = harness.log.all
        XCTAssertTrue(log.contains { $0.hasPrefix("operator 'bob': loaded app 'guest'") }, "\(log)")
        XCTAssertTrue(log.contains { $0.hasPrefix("operator 'alice': unloaded app 'guest'") }, "\(log)")
        XCTAssertFalse(log.joined().contains("token-0123456789"), "tokens never reach the log")
    }

    func testAnAppLoadedWithAppAuthAnswersOnlyCallersPresentingIt() async throws {
        let loaded = try await load("private", auth: Self.token, extra: #","app_auth":"callers-secret""#)
        XCTAssertEqual(loaded["status"]?.stringValue, "loaded", loaded.serializedString)
        func call(_ appAuth: String?) async throws -> JSON {
            let field = appAuth.map { #","app_auth":"\#($0)""# } ?? ""
            return try await client.management(
                #"{"wasm_call":{"app":"private","function":"add","params":[{"type":"u32","value":1},{"type":"u32","value":1}]\#(field)}}"#)
        }
        let anonymous = try await call(nil)
        XCTAssertTrue(anonymous["message"]?.stringValue?.hasPrefix(
            "unauthorized: app 'private' answers only callers that present its app_auth token") ?? false, anonymous.serializedString)
        let wrong = try await call("guess")
        XCTAssertEqual(wrong["message"]?.stringValue, "unauthorized: app_auth is not valid for app 'private'")
        let right = try await call("callers-secret")
        XCTAssertEqual(right.serializedString, #"{"status":"ok","returns":[{"type":"u32","value":2}]}"#)
    }

    func testOpenManagementOffLoopbackRefusesToStartUnlessInsecureIsGiven() async throws {
        await harness.stop()
        harness = nil
        do {
            let refused = try await ServerHarness.start {
                $0.host = "0.0.0.0"
                $0.operatorToken = nil
            }
            await refused.stop()
            XCTFail("a server without operators started on 0.0.0.0")
        } catch let error as ServerError {
            guard case .openManagementOffLoopback = error else { return XCTFail("\(error)") }
            XCTAssertTrue(error.description.contains("--insecure-open-management"), error.description)
        }
        let insecure = try await ServerHarness.start {
            $0.host = "0.0.0.0"
            $0.operatorToken = nil
            $0.insecureOpenManagement = true
        }
        XCTAssertTrue(insecure.log.all.contains { $0.hasPrefix("warning: INSECURE OPEN MANAGEMENT on 0.0.0.0") }, "\(insecure.log.all)")
        await insecure.stop()
        // An operator who keeps only warnings and errors still sees the banner, and nothing at info.
        let quiet = LogCapture()
        let warningsOnly = try await ServerHarness.start {
            $0.host = "0.0.0.0"
            $0.operatorToken = nil
            $0.insecureOpenManagement = true
            $0.logger = ForwardingLogHandler.logger(label: "test", logLevel: .warning) { quiet.append($0) }
        }
        await warningsOnly.stop()
        XCTAssertTrue(quiet.all.contains { $0.hasPrefix("warning: INSECURE OPEN MANAGEMENT on 0.0.0.0") }, "\(quiet.all)")
        XCTAssertTrue(quiet.all.allSatisfy { $0.hasPrefix("warning: ") || $0.hasPrefix("error: ") }, "\(quiet.all)")
        let guarded = try await ServerHarness.start {
            $0.host = "0.0.0.0"
            $0.operatorToken = Self.token
        }
        await guarded.stop()
    }

    func testLoopbackRecognition() {
        for host in ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST"] {
            XCTAssertTrue(ManagementExposure.isLoopback(host), host)
        }
        for host in ["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "example.com", "::2", ""] {
            XCTAssertFalse(ManagementExposure.isLoopback(host), host)
        }
    }
}

/// Operator credentials read from a file and the envelope that carries them.
final class OperatorCredentialsTests: XCTestCase {
    private func write(_ text: String, mode: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("operators-\(UUID().uuidString)").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testAFileOfNamedTokens() throws {
        let path = try write("# operators\nalice: alice-token-0123456789\n\nbob:bob-token-0123456789ab\r\n", mode: 0o600)
        let operators = try OperatorCredentials.read(file: path)
        XCTAssertEqual(operators.names, ["alice", "bob"])
        XCTAssertEqual(operators.operatorName(presenting: "bob-token-0123456789ab"), "bob")
        XCTAssertNil(operators.operatorName(presenting: "bob-token-0123456789a"))
        XCTAssertNil(operators.operatorName(presenting: ""))
    }

    func testUnusableFilesAreRefusedWithTheReason() throws {
        let open = try write("alice:alice-token-0123456789\n", mode: 0o644)
        XCTAssertThrowsError(try OperatorCredentials.read(file: open)) {
            XCTAssertTrue("\($0)".contains("is readable by others (mode 644); chmod 600 it"), "\($0)")
        }
        let malformed = try write("alice alice-token-0123456789\n", mode: 0o600)
        XCTAssertThrowsError(try OperatorCredentials.read(file: malformed)) {
            XCTAssertTrue("\($0)".hasSuffix("line 1: expected name:token"), "\($0)")
        }
        let short = try write("alice:short\n", mode: 0o600)
        XCTAssertThrowsError(try OperatorCredentials.read(file: short)) {
            XCTAssertTrue("\($0)".contains("shorter than 16 bytes"), "\($0)")
        }
        let twice = try write("a:alice-token-0123456789\na:other-token-0123456789\n", mode: 0o600)
        XCTAssertThrowsError(try OperatorCredentials.read(file: twice)) {
            XCTAssertTrue("\($0)".contains("operator name 'a' is given twice"), "\($0)")
        }
        let empty = try write("# nobody\n", mode: 0o600)
        XCTAssertThrowsError(try OperatorCredentials.read(file: empty)) {
            XCTAssertTrue("\($0)".contains("names no operator"), "\($0)")
        }
    }

    func testTheCredentialBesideTheMessage() throws {
        let envelope = try ManagementRequest.decodeEnvelope(Array(#"{"auth":"t0ken","wasm_unload":{"name":"a"}}"#.utf8)).get()
        XCTAssertEqual(envelope.auth, "t0ken")
        XCTAssertEqual(envelope.request, .unload(name: "a"))
        XCTAssertEqual(envelope.json().serializedString, #"{"auth":"t0ken","wasm_unload":{"name":"a"}}"#)
        for (inner, problem) in [(#"{"auth":7,"wasm_list":{}}"#, "auth: expected a string (the operator token)"),
                                 (#"{"auth":"","wasm_list":{}}"#, "auth: must not be empty"),
                                 (#"{"auth":"\#(String(repeating: "x", count: 4097))","wasm_list":{}}"#, "auth: longer than 4096 bytes")] {
            XCTAssertEqual(ManagementRequest.decodeEnvelope(Array(inner.utf8)).failureMessage, problem)
        }
        XCTAssertEqual(Request.decode(Array(#"{"auth":"t","Shutdown":null}"#.utf8)), .shutdown(token: "t"))
        XCTAssertEqual(Request.decode(Array(#"{"Shutdown":{"token":"t"}}"#.utf8)), .shutdown(token: "t"))
        XCTAssertEqual(Request.decode(Array(#"{"auth":7,"Shutdown":null}"#.utf8)), .invalid)
        XCTAssertEqual(Request.decode(Array(#"{"auth":"t","Shutdown":null,"x":1}"#.utf8)), .invalid)
    }
}

private extension Result where Failure == ManagementError {
    var failureMessage: String? {
        if case .failure(let error) = self { return error.message }
        return nil
    }
}
