import EnclaveProtocol
import XCTest

@testable import EnclaveClient

/// The documents the client sends, in the original's shapes (docs/protocol.md §3), now written by the
/// protocol's own `ManagementRequest` and read back by the same code the server uses.
final class ManagementMessagesTests: XCTestCase {
    private func text(_ json: JSON) -> String { json.serializedString }

    func testTheDocumentsKeepTheirBytes() {
        XCTAssertEqual(text(ManagementMessages.load(name: "a", bytes: [0, 97])), #"{"wasm_load":{"name":"a","bytes":[0,97]}}"#)
        XCTAssertEqual(text(ManagementMessages.load(name: "a", bytes: [0, 97], hostname: "h", key: "k", base64: true, maxFuel: 5,
                                                    replace: true, appAuth: "t")),
                       #"{"wasm_load":{"name":"a","bytes":"AGE=","hostname":"h","encryption_key":"k","max_fuel":5,"replace":true,"app_auth":"t"}}"#)
        XCTAssertEqual(text(ManagementMessages.list()), #"{"wasm_list":{}}"#)
        XCTAssertEqual(text(ManagementMessages.unload(name: "a")), #"{"wasm_unload":{"name":"a"}}"#)
        XCTAssertEqual(text(ManagementMessages.schema(app: "a")), #"{"wasm_schema":{"app":"a"}}"#)
        XCTAssertEqual(text(ManagementMessages.call(app: "a", function: "f", params: [])),
                       #"{"wasm_call":{"app":"a","function":"f","params":[],"chunked_result":true}}"#)
        XCTAssertEqual(text(ManagementMessages.authorized(ManagementMessages.list(), token: "op")), #"{"auth":"op","wasm_list":{}}"#)
    }

    func testTheServerSideDecoderReadsThemBack() throws {
        let load = ManagementMessages.load(name: "a", bytes: [1, 2, 3], base64: true, replace: true)
        XCTAssertEqual(try ManagementRequest.decode(load.serialized()).get(),
                       .load(LoadRequest(name: "a", bytes: [1, 2, 3], base64: true, replace: true)))
        XCTAssertEqual(try ManagementRequest.decode(ManagementMessages.unload(name: "a").serialized()).get(), .unload(name: "a"))
    }
}
