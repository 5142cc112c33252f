import XCTest
@testable import EnclaveProtocol

final class ManagementTests: XCTestCase {
    private func decode(_ text: String) -> Result<ManagementRequest, ManagementError> {
        ManagementRequest.decode(Array(text.utf8))
    }

    private func message(_ text: String) -> String? {
        if case .failure(let e) = decode(text) { return e.message }
        return nil
    }

    func testMessagesDecode() {
        XCTAssertEqual(try decode(#"{"wasm_list":{}}"#).get(), .list)
        XCTAssertEqual(try decode(#"{"wasm_unload":{"name":"a"}}"#).get(), .unload(name: "a"))
        XCTAssertEqual(try decode(#"{"wasm_schema":{"app":"a"}}"#).get(), .schema(app: "a"))
        XCTAssertEqual(try decode(#"{"wasm_call":{"app":"a","function":"f","params":[{"type":"u32","value":1}]}}"#).get(),
                       .call(CallRequest(app: "a", function: "f", params: [.object(["type": "u32", "value": .int(1)])])))
        XCTAssertEqual(try decode(#"{"wasm_load":{"name":"n","bytes":[0,97],"hostname":"h","encryption_key":"ab","max_fuel":5}}"#).get(),
                       .load(LoadRequest(name: "n", bytes: [0, 97], hostname: "h", encryptionKey: "ab", maxFuel: 5)))
        XCTAssertEqual(try decode(#"{"wasm_load":{"name":"n","bytes":"AGE="}}"#).get(),
                       .load(LoadRequest(name: "n", bytes: [0, 97], base64: true)))
        // The original's later messages: named parameters, and the MCP manifest ("" = the only app).
        XCTAssertEqual(try decode(#"{"connect_call":{"app":"a","function":"add","body":{"a":2,"b":40}}}"#).get(),
                       .connectCall(ConnectCallRequest(app: "a", function: "add", body: .object(["a": .int(2), "b": .int(40)]))))
        XCTAssertEqual(try decode(#"{"connect_call":{"app":"a","function":"hello"}}"#).get(),
                       .connectCall(ConnectCallRequest(app: "a", function: "hello", body: .object([:]))))
        XCTAssertEqual(message(#"{"connect_call":{"app":"a","function":"f","body":[1]}}"#),
                       "connect_call.body: expected a JSON object of named parameters")
        XCTAssertEqual(try decode(#"{"mcp_tools":{"app":"a"}}"#).get(), .mcpTools(app: "a"))
        XCTAssertEqual(try decode(#"{"mcp_tools":{}}"#).get(), .mcpTools(app: ""))
    }

    func testTheCredentialIsTheTopLevelAuthField() {
        let (request, credential) = ManagementRequest.decodeWithCredential(Array(#"{"auth":"t0k","wasm_list":{}}"#.utf8))
        XCTAssertEqual(try request.get(), .list)
        XCTAssertEqual(credential, "t0k")
        XCTAssertNil(ManagementRequest.decodeWithCredential(Array(#"{"wasm_list":{}}"#.utf8)).credential)
    }

    func testCompatOrderCallBeforeLoad() {
        XCTAssertEqual(try decode(#"{"wasm_list":{},"wasm_call":{"app":"a","function":"f","params":[]}}"#).get(),
                       .call(CallRequest(app: "a", function: "f", params: [])))
    }

    func testErrorsNameTheField() {
        XCTAssertEqual(message(#"{"wasm_load":{"bytes":[]}}"#), "wasm_load.name: missing (expected a string)")
        XCTAssertEqual(message(#"{"wasm_load":{"name":"x","bytes":[300]}}"#), "wasm_load.bytes: expected an array of integers 0-255 or a base64 string")
        XCTAssertEqual(message(#"{"wasm_load":{"name":"x"}}"#), "wasm_load.bytes: missing (expected an array of integers 0-255 or a base64 string)")
        XCTAssertEqual(message(#"{"wasm_call":{"app":"a"}}"#), "wasm_call.function: missing (expected a string)")
        XCTAssertEqual(message(#"{"wasm_call":{"app":"a","function":"f","params":{}}}"#), "wasm_call.params: expected an array of typed values")
        XCTAssertEqual(message(#"{"wasm_unload":{"name":""}}"#), "wasm_unload.name: must not be empty")
        XCTAssertEqual(message(#"{"wasm_unload":5}"#), "wasm_unload: expected an object")
        XCTAssertEqual(message(#"[]"#), "expected a JSON object with one of wasm_call, wasm_load, wasm_unload, wasm_list, wasm_schema, connect_call, mcp_tools, wasm_load_begin, wasm_load_chunk, wasm_load_commit, wasm_load_abort")
        XCTAssertEqual(message(#"{"hello":1}"#), "unknown message 'hello': expected one of wasm_call, wasm_load, wasm_unload, wasm_list, wasm_schema, connect_call, mcp_tools, wasm_load_begin, wasm_load_chunk, wasm_load_commit, wasm_load_abort")
        XCTAssertTrue(message("{nope")?.hasPrefix("invalid JSON in Data: ") ?? false)
    }

    func testResponsesUseTheOriginalKeyOrder() {
        let app = AppInfo(name: "a", hostname: "h", codeHash: "00", keySource: "generated",
                          exports: [ExportSummary(name: "hello", paramCount: 0, resultCount: 1)])
        XCTAssertEqual(ManagementResponse.loaded(app).json().serializedString,
                       #"{"status":"loaded","app":{"name":"a","hostname":"h","code_hash":"00","key_source":"generated","exports":[{"name":"hello","param_count":0,"result_count":1}]}}"#)
        XCTAssertEqual(ManagementResponse.ok(returns: [.object(["type": "string", "value": "Hello, World!"])]).json().serializedString,
                       #"{"status":"ok","returns":[{"type":"string","value":"Hello, World!"}]}"#)
        XCTAssertEqual(ManagementResponse.unloaded("a").json().serializedString, #"{"status":"unloaded","name":"a"}"#)
        XCTAssertEqual(ManagementResponse.notFound("a").json().serializedString, #"{"status":"not_found","name":"a"}"#)
        XCTAssertEqual(ManagementResponse.error("x").json().serializedString, #"{"status":"error","message":"x"}"#)
        XCTAssertEqual(AppInfo(json: app.json()), app)
    }
}
