import EnclaveProtocol
import Foundation
import NIOCore
import XCTest

/// The HTTP/1.1 side of the port over real TLS: the original's routes, their shapes and errors,
/// frames and HTTP on one listener, limits.
final class HTTPRoutesTests: XCTestCase {
    private var harness: ServerHarness!

    override func setUp() async throws {
        harness = try await ServerHarness.start()
    }

    override func tearDown() async throws {
        await harness.stop()
    }

    private func client(alpn: [String] = []) async throws -> HTTPTestClient {
        try await HTTPTestClient.connect(to: harness.address, group: harness.clientGroup, alpn: alpn)
    }

    private func loadTestGuest(_ client: HTTPTestClient, as name: String = "demo") async throws {
        let bytes = try GuestFiles.bytes("Guests/test-guest/test-guest.wasm")
        let reply = try await client.post("/data", #"{"wasm_load":{"name":"\#(name)","bytes":"\#(Data(bytes).base64EncodedString())"}}"#)
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.json?["status"]?.stringValue, "loaded", reply.text)
    }

    func testProbesAndMetrics() async throws {
        let http = try await client()
        let health = try await http.request(.GET, "/healthz")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(health.text, #"{"status":"ok"}"#)
        XCTAssertEqual(health.headers.first(name: "content-type"), "application/json")
        let ready = try await http.request(.GET, "/readyz")
        XCTAssertEqual(ready.text, #"{"status":"ready","apps":0}"#)
        try await loadTestGuest(http)
        _ = try await http.post("/rpc/demo/add", #"{"a":2,"b":40}"#)
        _ = try await http.post("/rpc/demo/spin", "{}")
        _ = try await http.post("/rpc/ghost/add", "{}")
        let metrics = try await http.request(.GET, "/metrics")
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(metrics.headers.first(name: "content-type")?.hasPrefix("text/plain; version=0.0.4") ?? false)
        let text = metrics.text
        for line in [#"enclave_calls_total{app="demo"} 2"#, #"enclave_call_errors_total{kind="out_of_fuel"} 1"#,
                     #"enclave_call_errors_total{kind="request"} 1"#, #"enclave_app_loads_total{outcome="loaded"} 1"#,
                     "enclave_apps_loaded 1", "enclave_open_connections 1", "enclave_calls_in_flight 0"] {
            XCTAssertTrue(text.contains(line), "missing \(line) in:\n\(text)")
        }
        XCTAssertTrue(text.contains(#"enclave_call_duration_seconds_count{app="demo"} 2"#), text)
        XCTAssertTrue(text.contains(#"enclave_requests_total{transport="http"}"#), text)
        await http.close()
    }

    func testFramesAndHTTPShareTheListenerAndTheApps() async throws {
        let http = try await client(alpn: [HTTPWire.alpnHTTP1])
        try await loadTestGuest(http)
        let frames = try await harness.connect()
        let called = try await frames.management(#"{"wasm_call":{"app":"demo","function":"add","params":[{"type":"u32","value":2},{"type":"u32","value":40}]}}"#)
        XCTAssertEqual(called.serializedString, #"{"status":"ok","returns":[{"type":"u32","value":42}]}"#)
        let viaData = try await http.post("/data", #"{"wasm_call":{"app":"demo","function":"greet","params":[{"type":"string","value":"http"}]}}"#)
        XCTAssertEqual(viaData.text, #"{"status":"ok","returns":[{"type":"string","value":"Hello, http!"}]}"#)
        // A management error is the same document frames put in Data, with 200 (as the original).
        let unknown = try await http.post("/data", #"{"wasm_call":{"app":"ghost","function":"f","params":[]}}"#)
        XCTAssertEqual(unknown.status, 200)
        XCTAssertEqual(unknown.text, #"{"status":"error","message":"unknown app: 'ghost'"}"#)
        let smoke = try await http.request(.POST, "/data", body: Array("hello".utf8))
        XCTAssertEqual(smoke.text, "world")
        await frames.close()
        // The original's ALPN id is accepted too.
        let ratls = try await client(alpn: [HTTPWire.alpnRATLS])
        let list = try await ratls.post("/data", #"{"wasm_list":{}}"#)
        XCTAssertEqual(list.json?["apps"]?.arrayValue?.count, 1)
        await ratls.close()
        await http.close()
    }

    func testRPCTypesNamedParametersFromTheSignature() async throws {
        let http = try await client()
        try await loadTestGuest(http)
        let add = try await http.post("/rpc/demo/add", #"{"a":2,"b":40}"#)
        XCTAssertEqual(add.status, 200)
        XCTAssertEqual(add.text, #"{"status":"ok","returns":[{"type":"u32","value":42}]}"#)
        let scale = try await http.post("/rpc/demo/scale", #"{"x":1.5,"by":2}"#)
        XCTAssertEqual(scale.json?["returns"]?[0]?["value"]?.numberValue?.double, 3.0, scale.text)
        let hello = try await http.request(.POST, "/rpc/demo/hello")  // no body: no parameters
        XCTAssertEqual(hello.json?["returns"]?[0]?["value"]?.stringValue, "Hello, World!")
        // The original's transport-only fields are not parameters.
        let withAuth = try await http.post("/rpc/demo/greet", #"{"name":"x","app_auth":"t"}"#)
        XCTAssertEqual(withAuth.json?["returns"]?[0]?["value"]?.stringValue, "Hello, x!", withAuth.text)
        let missing = try await http.post("/rpc/demo/add", #"{"a":2}"#)
        XCTAssertEqual(missing.text, #"{"status":"error","message":"call failed: missing parameter 'b' (u32); 'add' takes (a: u32, b: u32)"}"#)
        let extra = try await http.post("/rpc/demo/add", #"{"a":2,"b":1,"c":3}"#)
        XCTAssertEqual(extra.json?["message"]?.stringValue, "call failed: 'add' has no parameter 'c'; it takes (a: u32, b: u32)")
        let range = try await http.post("/rpc/demo/add", #"{"a":-1,"b":1}"#)
        XCTAssertTrue(range.json?["message"]?.stringValue?.hasPrefix("call failed: parameter 'a': expected u32") ?? false, range.text)
        let badJSON = try await http.post("/rpc/demo/add", "{nope")
        XCTAssertEqual(badJSON.status, 400)
        XCTAssertTrue(badJSON.json?["error"]?.stringValue?.hasPrefix("invalid JSON body: ") ?? false, badJSON.text)
        let badPath = try await http.post("/rpc/demo", "{}")
        XCTAssertEqual(badPath.status, 400)
        XCTAssertEqual(badPath.text, #"{"error":"expected /rpc/<app>/<function>"}"#)
        let get = try await http.request(.GET, "/rpc/demo/add")
        XCTAssertEqual(get.status, 405)
        XCTAssertEqual(get.text, #"{"error":"POST required for /rpc/<app>/<function>"}"#)
        await http.close()
    }

    func testAnAppLoadedWithAppAuthAnswersNamedParameterCallsOnlyWithItsToken() async throws {
        let http = try await client()
        let bytes = try GuestFiles.bytes("Guests/test-guest/test-guest.wasm")
        let loaded = try await http.post("/data", #"{"wasm_load":{"name":"private","bytes":"\#(Data(bytes).base64EncodedString())","app_auth":"callers-secret"}}"#)
        XCTAssertEqual(loaded.json?["status"]?.stringValue, "loaded", loaded.text)
        let anonymous = try await http.post("/rpc/private/add", #"{"a":1,"b":1}"#)
        XCTAssertTrue(anonymous.json?["message"]?.stringValue?.hasPrefix(
            "unauthorized: app 'private' answers only callers that present its app_auth token") ?? false, anonymous.text)
        let wrong = try await http.post("/rpc/private/add", #"{"a":1,"b":1}"#, headers: [("X-App-Auth", "guess")])
        XCTAssertEqual(wrong.json?["message"]?.stringValue, "unauthorized: app_auth is not valid for app 'private'", wrong.text)
        let header = try await http.post("/rpc/private/add", #"{"a":1,"b":1}"#, headers: [("X-App-Auth", "callers-secret")])
        XCTAssertEqual(header.text, #"{"status":"ok","returns":[{"type":"u32","value":2}]}"#)
        // The original's clients put the token in the body beside the parameters.
        let inBody = try await http.post("/rpc/private/add", #"{"a":1,"b":2,"app_auth":"callers-secret"}"#)
        XCTAssertEqual(inBody.text, #"{"status":"ok","returns":[{"type":"u32","value":3}]}"#)
        let oversized = try await http.post("/rpc/private/add", "{}", headers: [("X-App-Auth", String(repeating: "x", count: ManagementEnvelope.maxCredentialBytes + 1))])
        XCTAssertEqual(oversized.status, 400)
        XCTAssertEqual(oversized.json?["error"]?.stringValue, "app_auth: longer than \(ManagementEnvelope.maxCredentialBytes) bytes")
        // connect_call as a management message carries the original's app_auth field.
        let connect = try await http.post("/data", #"{"connect_call":{"app":"private","function":"add","body":{"a":2,"b":2},"app_auth":"callers-secret"}}"#)
        XCTAssertEqual(connect.text, #"{"status":"ok","returns":[{"type":"u32","value":4}]}"#)
        let connectAnonymous = try await http.post("/data", #"{"connect_call":{"app":"private","function":"add","body":{"a":2,"b":2}}}"#)
        XCTAssertTrue(connectAnonymous.json?["message"]?.stringValue?.hasPrefix("unauthorized: ") ?? false, connectAnonymous.text)
        // The MCP shim reads the same header.
        let shim = try await http.post("/api/v1/mcp/tools/add", #"{"a":20,"b":22}"#, headers: [("X-App-Auth", "callers-secret")])
        XCTAssertEqual(shim.text, "42")
        // So does `/mcp` `tools/call`, whose body is JSON-RPC: the token travels in the header only.
        let toolCall = #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"private.add","arguments":{"a":1,"b":41}}}"#
        let mcpAnonymous = try await http.post("/mcp", toolCall)
        XCTAssertEqual(mcpAnonymous.json?["result"]?["isError"], .bool(true), mcpAnonymous.text)
        XCTAssertTrue(mcpAnonymous.text.contains("unauthorized: app 'private' answers only callers"), mcpAnonymous.text)
        let mcpWithToken = try await http.post("/mcp", toolCall, headers: [("X-App-Auth", "callers-secret")])
        XCTAssertEqual(mcpWithToken.json?["result"]?["isError"], .bool(false), mcpWithToken.text)
        XCTAssertEqual(mcpWithToken.json?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue, "42", mcpWithToken.text)
        let mcpOversized = try await http.post("/mcp", toolCall, headers: [("X-App-Auth", String(repeating: "x", count: ManagementEnvelope.maxCredentialBytes + 1))])
        XCTAssertEqual(mcpOversized.status, 400, mcpOversized.text)
        await http.close()
    }

    func testSchemaInTheOriginalsShape() async throws {
        let http = try await client()
        try await loadTestGuest(http)
        let reply = try await http.request(.GET, "/rpc/demo/schema")
        let json = try XCTUnwrap(reply.json, reply.text)
        XCTAssertEqual(json["status"]?.stringValue, "schema")
        let schema = try XCTUnwrap(json["schema"])
        XCTAssertEqual(schema["name"]?.stringValue, "demo")
        XCTAssertEqual(schema["hostname"]?.stringValue, "demo")
        XCTAssertEqual(schema["mcp_enabled"], .bool(true))
        XCTAssertNil(schema["interfaces"], "no interfaces exported: the key is omitted")
        let add = try XCTUnwrap(schema["functions"]?.arrayValue?.first { $0["name"]?.stringValue == "add" })
        XCTAssertEqual(add["params"]?.serializedString, #"[{"name":"a","type":{"kind":"u32"}},{"name":"b","type":{"kind":"u32"}}]"#)
        XCTAssertEqual(add["results"]?.arrayValue?.first?["type"]?.serializedString, #"{"kind":"u32"}"#)
        let frames = try await harness.connect()
        let viaFrames = try await frames.management(#"{"wasm_schema":{"app":"demo"}}"#)
        XCTAssertEqual(viaFrames, json, "the same document over frames")
        await frames.close()
        await http.close()
    }

    func testMCPToolsShim() async throws {
        let http = try await client()
        try await loadTestGuest(http)
        let list = try await http.request(.GET, "/api/v1/mcp/tools")
        XCTAssertEqual(list.status, 200)
        let tools = try XCTUnwrap(list.json?["tools"]?.arrayValue, list.text)
        XCTAssertEqual(tools.count, 19, "one tool per export of the test guest")
        let add = try XCTUnwrap(tools.first { $0["name"]?.stringValue == "add" })
        XCTAssertEqual(add["input_schema"]?.serializedString,
                       #"{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}"#)
        let called = try await http.post("/api/v1/mcp/tools/add", #"{"a":2,"b":40}"#)
        XCTAssertEqual(called.text, "42")
        let crash = try await http.post("/api/v1/mcp/tools/crash", "{}")
        XCTAssertEqual(crash.status, 400)
        XCTAssertTrue(crash.json?["error"]?.stringValue?.hasPrefix("call failed: ") ?? false, crash.text)
        let noFunction = try await http.post("/api/v1/mcp/tools/nope", "{}")
        XCTAssertEqual(noFunction.status, 400)
        // With two apps the Host header's first label picks one; an IP address names none.
        try await loadTestGuest(http, as: "other")
        let ambiguous = try await http.request(.GET, "/api/v1/mcp/tools")
        XCTAssertEqual(ambiguous.status, 400)
        XCTAssertTrue(ambiguous.json?["error"]?.stringValue?.contains("2 apps are loaded") ?? false, ambiguous.text)
        let byHost = try await http.request(.POST, "/api/v1/mcp/tools/greet", body: Array(#"{"name":"host"}"#.utf8),
                                            headers: [("Host", "other.apps.example:8443")])
        XCTAssertEqual(byHost.text, #""Hello, host!""#)
        await http.close()
    }

    func testHTTPErrorsAndLimits() async throws {
        let http = try await client()
        let missing = try await http.request(.GET, "/nowhere")
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(missing.text, #"{"error":"not found"}"#)
        let wrongMethod = try await http.request(.GET, "/data")
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertEqual(wrongMethod.text, #"{"error":"method not allowed"}"#)
        // Over the body limit: refused from the declared length, before any body byte is read.
        let tooLarge = try await http.request(.POST, "/data", body: [],
                                              headers: [("Content-Length", String(HTTPWire.maxJSONBodyBytes + 1))])
        XCTAssertEqual(tooLarge.status, 413)
        XCTAssertTrue(tooLarge.json?["error"]?.stringValue?.hasPrefix("request body of 16777217 bytes exceeds the 16777216-byte limit") ?? false)
        await http.close()
        // A header block over 16 KiB is malformed.
        let big = try await client()
        let header = try await big.request(.GET, "/healthz", headers: [("X-Filler", String(repeating: "a", count: 20_000))])
        XCTAssertEqual(header.status, 400)
        XCTAssertTrue(header.json?["error"]?.stringValue?.hasPrefix("malformed request") ?? false, header.text)
        await big.close()
    }

    /// curl sends `Expect: 100-continue` for bodies over 1 MiB and waits up to a second for
    /// `100 Continue`; Python's socket client here waits for it (five seconds at most) before
    /// sending the body. A body refused from its head gets the final answer instead.
    func testExpectContinueIsAnsweredBeforeTheBody() async throws {
        let script = #"""
        import json, socket, ssl, sys
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        def exchange(length, body):
            with context.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)) as tls:
                tls.sendall(("POST /data HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             "Content-Length: %d\r\nExpect: 100-continue\r\n\r\n" % length).encode())
                received = b""
                while b"\r\n\r\n" not in received:
                    chunk = tls.recv(4096)
                    if not chunk: break
                    received += chunk
                interim = received.split(b"\r\n")[0].decode()
                if interim.startswith("HTTP/1.1 100"):
                    received = received.split(b"\r\n\r\n", 1)[1]
                    tls.sendall(body)
                    while b"\r\n\r\n" not in received or not received.endswith(b"}"):
                        chunk = tls.recv(4096)
                        if not chunk: break
                        received += chunk
                return interim, received.split(b"\r\n")[0].decode(), received.split(b"\r\n\r\n", 1)[-1].decode()
        body = b'{"wasm_list":{}}'
        print(json.dumps({"accepted": exchange(len(body), body), "refused": exchange(17 * 1024 * 1024, b"")}))
        """#
        let port = try XCTUnwrap(harness.address.port)
        let output = try RATLSProcess.run(["python3", "-c", script, String(port)])
        XCTAssertEqual(output.status, 0, output.stderr)
        let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: [String]], output.stdout)
        XCTAssertEqual(result["accepted"]?[0], "HTTP/1.1 100 Continue")
        XCTAssertEqual(result["accepted"]?[1], "HTTP/1.1 200 OK")
        XCTAssertEqual(result["accepted"]?[2], #"{"status":"apps","apps":[]}"#)
        XCTAssertEqual(result["refused"]?[0], "HTTP/1.1 413 Payload Too Large", "no 100 for a body the server will not read")
    }

    func testPipelinedRequestsAreAnsweredInOrder() async throws {
        let http = try await client()
        try await loadTestGuest(http)
        async let first = http.post("/rpc/demo/greet", #"{"name":"one"}"#)
        async let second = http.post("/rpc/demo/greet", #"{"name":"two"}"#)
        async let third = http.request(.GET, "/healthz")
        let (a, b, c) = try await (first, second, third)
        XCTAssertEqual(a.json?["returns"]?[0]?["value"]?.stringValue, "Hello, one!")
        XCTAssertEqual(b.json?["returns"]?[0]?["value"]?.stringValue, "Hello, two!")
        XCTAssertEqual(c.status, 200)
        await http.close()
    }

    func testShutdownNeedsTheOperatorsBearerToken() async throws {
        await harness.stop()
        harness = try await ServerHarness.start { $0.operatorToken = ServerHarness.operatorToken }
        let http = try await client()
        let none = try await http.request(.POST, "/shutdown")
        XCTAssertEqual(none.status, 401)
        XCTAssertEqual(none.json?["error"]?.stringValue,
                       "unauthorized: Shutdown needs an operator token on this server (an operator token is required); send Authorization: Bearer <token>")
        let wrong = try await http.request(.POST, "/shutdown", headers: [("Authorization", "Bearer nope")])
        XCTAssertEqual(wrong.status, 403)
        XCTAssertEqual(wrong.json?["error"]?.stringValue, "unauthorized: Shutdown refused: wrong operator token")
        let right = try await http.request(.POST, "/shutdown", headers: [("Authorization", "Bearer \(ServerHarness.operatorToken)")])
        XCTAssertEqual(right.status, 200)
        XCTAssertEqual(right.text, "{}")
        await harness.server.waitUntilClosed()
        await http.close()
    }

    /// With operators, loading and unloading over HTTP need `Authorization: Bearer` (or the
    /// document's own "auth"), as over frames; calls stay open.
    func testLoadAndUnloadOverHTTPNeedTheOperatorsBearerToken() async throws {
        await harness.stop()
        harness = try await ServerHarness.start { $0.operatorToken = ServerHarness.operatorToken }
        let http = try await client()
        let bytes = Data(try GuestFiles.bytes("Guests/test-guest/test-guest.wasm")).base64EncodedString()
        let load = #"{"wasm_load":{"name":"demo","bytes":"\#(bytes)"}}"#
        let anonymous = try await http.post("/data", load)
        XCTAssertEqual(anonymous.json?["status"]?.stringValue, "error", anonymous.text)
        XCTAssertTrue(anonymous.json?["message"]?.stringValue?.hasPrefix("unauthorized: wasm_load needs an operator token") ?? false, anonymous.text)
        let wrong = try await http.post("/data", load, headers: [("Authorization", "Bearer nope")])
        XCTAssertEqual(wrong.json?["message"]?.stringValue, "unauthorized: wasm_load refused: wrong operator token", wrong.text)
        let bearer = [("Authorization", "Bearer \(ServerHarness.operatorToken)")]
        let loaded = try await http.post("/data", load, headers: bearer)
        XCTAssertEqual(loaded.json?["status"]?.stringValue, "loaded", loaded.text)
        let called = try await http.post("/rpc/demo/add", #"{"a":2,"b":40}"#)
        XCTAssertEqual(called.status, 200, called.text)
        let unload = #"{"wasm_unload":{"name":"demo"}}"#
        let refused = try await http.post("/data", unload)
        XCTAssertTrue(refused.json?["message"]?.stringValue?.hasPrefix("unauthorized: wasm_unload needs an operator token") ?? false, refused.text)
        let unloaded = try await http.post("/data", unload, headers: bearer)
        XCTAssertEqual(unloaded.json?["status"]?.stringValue, "unloaded", unloaded.text)
        await http.close()
    }
}
