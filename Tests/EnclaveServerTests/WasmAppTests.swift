import Crypto
import EnclaveProtocol
import EnclaveServer
import Foundation
import XCTest

/// Load / call / list / schema / unload of the committed Embedded Swift guest
/// `Guests/test-guest/test-guest.wasm` over real TLS. These depend on the component layer
/// (`Component.load` / `call`); they fail until it works.
final class WasmAppTests: XCTestCase {
    private var harness: ServerHarness!
    private var client: RawTLSClient!

    /// The test guest's bytes.
    static func guestBytes() throws -> [UInt8] {
        try GuestFiles.bytes("Guests/test-guest/test-guest.wasm")
    }

    override func setUp() async throws {
        harness = try await ServerHarness.start { $0.defaultFuel = 2_000_000 }
        client = try await harness.connect()
    }

    override func tearDown() async throws {
        await harness.stop()
    }

    private func load(_ name: String, on client: RawTLSClient? = nil, extra: String = "", base64: Bool = true) async throws -> JSON {
        let bytes = try Self.guestBytes()
        let encoded = base64 ? "\"\(Data(bytes).base64EncodedString())\"" : "[\(bytes.map(String.init).joined(separator: ","))]"
        return try await (client ?? self.client).management(#"{"wasm_load":{"name":"\#(name)","bytes":\#(encoded)\#(extra)}}"#)
    }

    private func call(_ app: String, _ function: String, _ params: String = "", on client: RawTLSClient? = nil) async throws -> JSON {
        try await (client ?? self.client).management(#"{"wasm_call":{"app":"\#(app)","function":"\#(function)","params":[\#(params)]}}"#)
    }

    func testWasmLoadReportsHashSortedExportsAndGeneratedKey() async throws {
        let reply = try await load("guest", base64: false)  // compat integer array
        XCTAssertEqual(reply["status"]?.stringValue, "loaded", reply.serializedString)
        let app = try XCTUnwrap(reply["app"])
        XCTAssertEqual(app["name"]?.stringValue, "guest")
        XCTAssertEqual(app["hostname"]?.stringValue, "guest")
        let expectedHash = SHA256.hash(data: try Self.guestBytes()).map { String(format: "%02x", $0) }.joined()
        XCTAssertEqual(app["code_hash"]?.stringValue, expectedHash)
        XCTAssertEqual(app["key_source"]?.stringValue, "generated")
        let names = app["exports"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        XCTAssertEqual(names, names.sorted())
        XCTAssertTrue(names.contains("add") && names.contains("greet") && names.contains("spin"), "\(names)")
        let add = app["exports"]?.arrayValue?.first { $0["name"]?.stringValue == "add" }
        XCTAssertEqual(add?.serializedString, #"{"name":"add","param_count":2,"result_count":1}"#)
    }

    func testWasmLoadTwiceIsRefusedAndListShowsTheApp() async throws {
        _ = try await load("guest", extra: #","hostname":"guest.example","encryption_key":"\#(String(repeating: "11", count: 32))""#)
        let again = try await load("guest")
        // The original's text first (clients match it), then how to upgrade instead.
        XCTAssertEqual(again["status"]?.stringValue, "error")
        XCTAssertEqual(again["message"]?.stringValue, RegistryError.alreadyLoaded("guest").description)
        XCTAssertTrue(again["message"]?.stringValue?.hasPrefix("app 'guest' is already loaded; to upgrade it") ?? false,
                      again.serializedString)
        let list = try await client.management(#"{"wasm_list":{}}"#)
        let apps = list["apps"]?.arrayValue ?? []
        XCTAssertEqual(apps.count, 1)
        XCTAssertEqual(apps.first?["hostname"]?.stringValue, "guest.example")
        XCTAssertEqual(apps.first?["key_source"]?.stringValue?.hasPrefix("byok:"), true)
    }

    func testWasmCallAddAndGreet() async throws {
        _ = try await load("guest")
        let sum = try await call("guest", "add", #"{"type":"u32","value":40},{"type":"u32","value":2}"#)
        XCTAssertEqual(sum.serializedString, #"{"status":"ok","returns":[{"type":"u32","value":42}]}"#)
        let greeting = try await call("guest", "greet", #"{"type":"string","value":"enclave"}"#)
        XCTAssertEqual(greeting["status"]?.stringValue, "ok", greeting.serializedString)
        XCTAssertTrue(greeting["returns"]?.arrayValue?.first?["value"]?.stringValue?.contains("enclave") ?? false, greeting.serializedString)
    }

    func testWasmCallErrors() async throws {
        _ = try await load("guest")
        let missing = try await call("guest", "nope")
        let message = try XCTUnwrap(missing["message"]?.stringValue)
        XCTAssertTrue(message.hasPrefix("app 'guest' has no export 'nope'. Available: [add, "), message)
        XCTAssertTrue(message.hasSuffix("]"), message)

        let wrongCount = try await call("guest", "add", #"{"type":"u32","value":1}"#)
        XCTAssertTrue(wrongCount["message"]?.stringValue?.hasPrefix("call failed: ") ?? false, wrongCount.serializedString)

        let crash = try await call("guest", "crash")
        XCTAssertTrue(crash["message"]?.stringValue?.hasPrefix("call failed: ") ?? false, crash.serializedString)
        // A trap ends only that call.
        let after = try await call("guest", "add", #"{"type":"u32","value":1},{"type":"u32","value":2}"#)
        XCTAssertEqual(after["status"]?.stringValue, "ok")
    }

    func testWasmSpinRunsOutOfFuelWhileAnotherConnectionsCallCompletes() async throws {
        _ = try await load("guest")
        let other = try await harness.connect()
        let spinClient: RawTLSClient = client
        async let spinning = spinClient.management(#"{"wasm_call":{"app":"guest","function":"spin","params":[]}}"#)
        // Give the spin call a head start so the two genuinely overlap.
        try await Task.sleep(nanoseconds: 20_000_000)
        let started = ContinuousClock.now
        let quick = try await call("guest", "add", #"{"type":"u32","value":2},{"type":"u32","value":3}"#, on: other)
        let quickTime = ContinuousClock.now - started
        let spin = try await spinning
        let spinTime = ContinuousClock.now - started
        XCTAssertEqual(quick["returns"]?.arrayValue?.first?["value"]?.numberValue?.int64, 5, quick.serializedString)
        XCTAssertEqual(spin.serializedString, #"{"status":"error","message":"call failed: out of fuel"}"#)
        print("spin (2M fuel) finished after \(spinTime); the concurrent add took \(quickTime)")
        XCTAssertLessThan(quickTime, spinTime, "the second connection's call waited for the spinning one")
    }

    func testWasmPerAppMaxFuel() async throws {
        _ = try await load("tiny", extra: #","max_fuel":1000"#)
        let spin = try await call("tiny", "spin")
        XCTAssertEqual(spin["message"]?.stringValue, "call failed: out of fuel")
    }

    func testWasmSchemaAndUnload() async throws {
        _ = try await load("guest")
        let schema = try await client.management(#"{"wasm_schema":{"app":"guest"}}"#)
        XCTAssertEqual(schema["status"]?.stringValue, "schema")
        // The original's shape: {"status":"schema","schema":{"name","hostname","functions",…}}.
        XCTAssertEqual(schema["schema"]?["name"]?.stringValue, "guest")
        let names = schema["schema"]?["functions"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        XCTAssertEqual(names, names.sorted())
        XCTAssertTrue(names.contains("add"), schema.serializedString)

        let unloaded = try await client.management(#"{"wasm_unload":{"name":"guest"}}"#)
        XCTAssertEqual(unloaded.serializedString, #"{"status":"unloaded","name":"guest"}"#)
        let gone = try await call("guest", "add", #"{"type":"u32","value":1},{"type":"u32","value":2}"#)
        XCTAssertEqual(gone["message"]?.stringValue, "unknown app: 'guest'")
        let reloaded = try await load("guest")
        XCTAssertEqual(reloaded["status"]?.stringValue, "loaded", "a name is free again after unload")
    }

    func testWasmPipelinedLoadThenCallSeesTheLoad() async throws {
        let bytes = try Self.guestBytes()
        let loadInner = #"{"wasm_load":{"name":"piped","bytes":"\#(Data(bytes).base64EncodedString())"}}"#
        let callInner = #"{"wasm_call":{"app":"piped","function":"add","params":[{"type":"u32","value":7},{"type":"u32","value":8}]}}"#
        try await client.write(Frame.encode(Request.data(Array(loadInner.utf8)).encoded())
            + Frame.encode(Request.data(Array(callInner.utf8)).encoded()))
        guard case .data(let first)? = try await client.readResponse() else { return XCTFail("load: no Data") }
        guard case .data(let second)? = try await client.readResponse() else { return XCTFail("call: no Data") }
        XCTAssertEqual(try JSON.parse(first)["status"]?.stringValue, "loaded")
        XCTAssertEqual(try JSON.parse(second).serializedString, #"{"status":"ok","returns":[{"type":"u32","value":15}]}"#)
    }

    func testWasmLargeStringResponse() async throws {
        _ = try await load("guest")
        let half = String(repeating: "x", count: 400_000)
        let reply = try await call("guest", "concat", #"{"type":"string","value":"\#(half)"},{"type":"string","value":"\#(half)"}"#)
        XCTAssertEqual(reply["returns"]?.arrayValue?.first?["value"]?.stringValue?.count, 800_000, String(reply.serializedString.prefix(200)))
    }
}

/// The concurrent-call cap: with one call thread, a second call waits for the first.
final class CallCapTests: XCTestCase {
    func testWasmCallsBeyondTheCapWaitTheirTurn() async throws {
        let harness = try await ServerHarness.start {
            $0.maxConcurrentCalls = 1
            $0.defaultFuel = 2_000_000
        }
        let first = try await harness.connect()
        let second = try await harness.connect()
        let bytes = try WasmAppTests.guestBytes()
        let loaded = try await first.management(#"{"wasm_load":{"name":"g","bytes":"\#(Data(bytes).base64EncodedString())"}}"#)
        XCTAssertEqual(loaded["status"]?.stringValue, "loaded")

        let started = ContinuousClock.now
        async let spin = first.management(#"{"wasm_call":{"app":"g","function":"spin","params":[]}}"#)
        try await Task.sleep(nanoseconds: 20_000_000)
        let add = try await second.management(#"{"wasm_call":{"app":"g","function":"add","params":[{"type":"u32","value":1},{"type":"u32","value":1}]}}"#)
        let addDone = ContinuousClock.now - started
        let spinResult = try await spin
        XCTAssertEqual(add["status"]?.stringValue, "ok")
        XCTAssertEqual(spinResult["message"]?.stringValue, "call failed: out of fuel")
        // Meanwhile Ping is not a call and is answered at once.
        let pong = try await second.request(#""Ping""#)
        XCTAssertEqual(pong, .pong)
        XCTAssertGreaterThan(addDone, .milliseconds(100), "with a cap of 1 the add must have waited for the spinning call")
        await harness.stop()
    }
}
