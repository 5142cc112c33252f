import XCTest
@testable import EnclaveProtocol

/// The streamed-load messages and the new responses: what one side encodes the other decodes
/// to the same value, and malformed fields are named.
final class UploadMessageTests: XCTestCase {
    private let hash = String(repeating: "ab", count: 32)

    private func roundTrip(_ request: ManagementRequest, file: StaticString = #filePath, line: UInt = #line) {
        let bytes = request.json().serialized()
        XCTAssertEqual(try ManagementRequest.decode(bytes).get(), request, String(decoding: bytes, as: UTF8.self), file: file, line: line)
    }

    func testEveryRequestRoundTrips() {
        roundTrip(.upload(.begin(UploadBegin(name: "big", size: 18_339_322, sha256: hash))))
        roundTrip(.upload(.begin(UploadBegin(name: "big", size: 1, sha256: hash, hostname: "h", encryptionKey: "00", maxFuel: 7))))
        roundTrip(.upload(.chunk(UploadChunk(upload: "0123abcd", offset: 4 << 20, bytes: Array(0...255)))))
        roundTrip(.upload(.commit(upload: "0123abcd")))
        roundTrip(.upload(.abort(upload: "0123abcd")))
        roundTrip(.call(CallRequest(app: "a", function: "f", params: [], chunkedResult: true)))
        roundTrip(.call(CallRequest(app: "a", function: "f", params: [.object(["type": "u32", "value": .uint(1)])])))
        roundTrip(.load(LoadRequest(name: "n", bytes: [1, 2, 3], base64: true)))
        roundTrip(.list)
        roundTrip(.unload(name: "n"))
        roundTrip(.schema(app: "n"))
    }

    func testEveryResponseRoundTrips() {
        let app = AppInfo(name: "a", hostname: "h", codeHash: hash, keySource: "generated",
                          exports: [ExportSummary(name: "add", paramCount: 2, resultCount: 1)])
        let responses: [ManagementResponse] = [
            .loaded(app), .ok(returns: [.object(["type": "string", "value": "x"])]), .apps([app, app]), .apps([]),
            .unloaded("a"), .notFound("a"), .schema(.object(["name": "a", "functions": .array([.object(["name": "f"])])])), .error("why"),
            .mcpTools(.object(["name": "a", "tools": .array([])])),
            .uploadReady(UploadTicket(upload: "id", chunkSize: 4 << 20, timeoutSeconds: 60)),
            .chunkReceived(upload: "id", received: 123), .uploadAborted(upload: "id"),
        ]
        for response in responses {
            let json = try? JSON.parse(response.encoded())
            XCTAssertEqual(json.flatMap(ManagementResponse.decode), response, response.json().serializedString)
        }
        XCTAssertNil(ManagementResponse.decode(.object(["status": "upload", "upload": "id"])), "chunk_size missing")
        XCTAssertNil(ManagementResponse.decode(.object(["status": "mystery"])))
    }

    func testWireFormOfTheUploadResponses() {
        XCTAssertEqual(ManagementResponse.uploadReady(UploadTicket(upload: "u1", chunkSize: 4, timeoutSeconds: 60)).json().serializedString,
                       #"{"status":"upload","upload":"u1","chunk_size":4,"timeout_seconds":60}"#)
        XCTAssertEqual(ManagementResponse.chunkReceived(upload: "u1", received: 9).json().serializedString,
                       #"{"status":"chunk","upload":"u1","received":9}"#)
        XCTAssertEqual(UploadMessage.chunk(UploadChunk(upload: "u1", offset: 0, bytes: [0, 97])).json().serializedString,
                       #"{"wasm_load_chunk":{"upload":"u1","offset":0,"bytes":"AGE="}}"#)
    }

    private func message(_ text: String) -> String? {
        if case .failure(let error) = ManagementRequest.decode(Array(text.utf8)) { return error.message }
        return nil
    }

    func testMalformedFieldsAreNamed() {
        XCTAssertEqual(message(#"{"wasm_load_begin":{"name":"a","sha256":"\#(hash)"}}"#),
                       "wasm_load_begin.size: missing (expected the component's size in bytes)")
        XCTAssertEqual(message(#"{"wasm_load_begin":{"name":"a","size":0,"sha256":"\#(hash)"}}"#),
                       "wasm_load_begin.size: must be at least 1 byte")
        XCTAssertEqual(message(#"{"wasm_load_begin":{"name":"a","size":-1,"sha256":"\#(hash)"}}"#),
                       "wasm_load_begin.size: expected a non-negative integer")
        XCTAssertEqual(message(#"{"wasm_load_begin":{"name":"a","size":5,"sha256":"abc"}}"#),
                       "wasm_load_begin.sha256: expected 64 hex digits (the SHA-256 of the component)")
        XCTAssertEqual(message(#"{"wasm_load_begin":{"size":5,"sha256":"\#(hash)"}}"#), "wasm_load_begin.name: missing (expected a string)")
        XCTAssertEqual(message(#"{"wasm_load_chunk":{"upload":"u","offset":0,"bytes":"***"}}"#), "wasm_load_chunk.bytes: not valid base64")
        XCTAssertEqual(message(#"{"wasm_load_chunk":{"upload":"u","bytes":"AA=="}}"#),
                       "wasm_load_chunk.offset: missing (expected the byte offset of this chunk)")
        XCTAssertEqual(message(#"{"wasm_load_chunk":{"upload":"u","offset":0,"bytes":""}}"#), "wasm_load_chunk.bytes: an empty chunk carries nothing")
        XCTAssertEqual(message(#"{"wasm_load_commit":{}}"#), "wasm_load_commit.upload: missing (expected a string)")
        XCTAssertEqual(message(#"{"wasm_call":{"app":"a","function":"f","chunked_result":1}}"#), "wasm_call.chunked_result: expected true or false")
        // Upper-case hex is accepted and kept in its canonical lower case.
        guard case .success(.upload(.begin(let begin))) = ManagementRequest.decode(
            Array(#"{"wasm_load_begin":{"name":"a","size":5,"sha256":"\#(hash.uppercased())"}}"#.utf8)) else { return XCTFail() }
        XCTAssertEqual(begin.sha256, hash)
    }
}
