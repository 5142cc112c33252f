import EnclaveProtocol
import EnclaveServer
import SealedStore
import XCTest

/// Management messages whose behaviour does not depend on a working component layer (docs/protocol.md §3).
final class ManagementTests: XCTestCase {
    private var harness: ServerHarness!
    private var client: RawTLSClient!

    override func setUp() async throws {
        harness = try await ServerHarness.start()
        client = try await harness.connect()
    }

    override func tearDown() async throws {
        await harness.stop()
    }

    func testListStartsEmpty() async throws {
        let reply = try await client.management(#"{"wasm_list":{}}"#)
        XCTAssertEqual(reply.serializedString, #"{"status":"apps","apps":[]}"#)
    }

    func testUnloadUnknownIsNotFound() async throws {
        let reply = try await client.management(#"{"wasm_unload":{"name":"ghost"}}"#)
        XCTAssertEqual(reply.serializedString, #"{"status":"not_found","name":"ghost"}"#)
    }

    func testCallUnknownApp() async throws {
        let reply = try await client.management(#"{"wasm_call":{"app":"ghost","function":"f","params":[]}}"#)
        XCTAssertEqual(reply.serializedString, #"{"status":"error","message":"unknown app: 'ghost'"}"#)
    }

    func testSchemaUnknownApp() async throws {
        let reply = try await client.management(#"{"wasm_schema":{"app":"ghost"}}"#)
        XCTAssertEqual(reply.serializedString, #"{"status":"error","message":"unknown app: 'ghost'"}"#)
    }

    func testCallIsCheckedBeforeLoadWhenBothKeysArePresent() async throws {
        // compat: wasm_call is looked for first.
        let reply = try await client.management(#"{"wasm_load":{"name":"a","bytes":[]},"wasm_call":{"app":"ghost","function":"f","params":[]}}"#)
        XCTAssertEqual(reply["message"]?.stringValue, "unknown app: 'ghost'")
    }

    func testByokInvalidHex() async throws {
        let reply = try await client.management(#"{"wasm_load":{"name":"a","bytes":[0,97,115,109],"encryption_key":"zz"}}"#)
        XCTAssertEqual(reply.serializedString, #"{"status":"error","message":"encryption_key: invalid hex encoding"}"#)
    }

    func testByokWrongLength() async throws {
        let key = String(repeating: "ab", count: 16)
        let reply = try await client.management(#"{"wasm_load":{"name":"a","bytes":[0,97,115,109],"encryption_key":"\#(key)"}}"#)
        XCTAssertEqual(reply.serializedString, #"{"status":"error","message":"encryption_key: expected 32 bytes, got 16"}"#)
    }

    func testLoadingGarbageIsAnInvalidComponent() async throws {
        let reply = try await client.management(#"{"wasm_load":{"name":"junk","bytes":[1,2,3,4,5,6,7,8]}}"#)
        XCTAssertEqual(reply["status"]?.stringValue, "error")
        XCTAssertTrue(reply["message"]?.stringValue?.hasPrefix("invalid component: ") ?? false, reply.serializedString)
        let list = try await client.management(#"{"wasm_list":{}}"#)
        XCTAssertEqual(list["apps"]?.arrayValue?.count, 0, "a failed load must not register the app")
    }

    func testLoadingACoreModuleIsRejected() async throws {
        // The smallest valid core module: magic + version 1.
        let reply = try await client.management(#"{"wasm_load":{"name":"core","bytes":"AGFzbQEAAAA="}}"#)
        XCTAssertEqual(reply["status"]?.stringValue, "error")
        XCTAssertTrue(reply["message"]?.stringValue?.hasPrefix("invalid component: ") ?? false, reply.serializedString)
    }

    func testKeyHelpers() throws {
        XCTAssertEqual(try AppKey.fromHex(String(repeating: "00", count: 32)).keySource,
                       "byok:66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925")
        XCTAssertEqual(AppKey.generate().keySource, "generated")
        // code_hash comes from the persisted record: lowercase hex SHA-256 of the bytes as received.
        XCTAssertEqual(AppRecord(name: "n", code: Array("abc".utf8), key: .generate()).codeHash,
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
