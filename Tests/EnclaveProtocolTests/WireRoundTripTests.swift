import XCTest
@testable import EnclaveProtocol

/// What one side of the wire writes, the other reads back to the same value: the outer frames,
/// every management message and response, and the schema's type descriptors (which the server
/// writes and clients read through the same `WITType`).
final class WireRoundTripTests: XCTestCase {
    private let hash = String(repeating: "cd", count: 32)

    func testOuterRequestsRoundTripInBothByteEncodings() {
        for encoding in [ByteEncoding.integerArray, .base64] {
            let inner = Array(#"{"wasm_list":{}}"#.utf8)
            let payload = Response.encodeByteEnvelope(key: "Data", inner, as: encoding)
            let (request, seen) = Request.decodeWithEncoding(payload)
            XCTAssertEqual(request, .data(inner))
            XCTAssertEqual(seen, encoding)
        }
        XCTAssertEqual(Request.decode(Array(#""Ping""#.utf8)), .ping)
        XCTAssertEqual(Request.decode(Array(#""Shutdown""#.utf8)), .shutdown(token: nil))
        XCTAssertEqual(Request.decode(Array(#"{"Shutdown":{"token":"t"}}"#.utf8)), .shutdown(token: "t"))
    }

    func testOuterResponsesRoundTripInBothByteEncodings() {
        let responses: [Response] = [
            .pong, .ok, .data([]), .data(Array(0...255)), .error("no such app: é"),
            .chunked(ChunkedHead(size: 40 << 20, chunks: 3, sha256: hash)),
        ]
        for encoding in [ByteEncoding.integerArray, .base64] {
            for response in responses {
                let payload = response.encoded(bytesAs: encoding)
                XCTAssertEqual(Response.decode(payload), response, String(decoding: payload, as: UTF8.self))
            }
        }
    }

    func testEveryManagementRequestRoundTrips() {
        let requests: [ManagementRequest] = [
            .load(LoadRequest(name: "n", bytes: [0, 97])),
            .load(LoadRequest(name: "n", bytes: [1], hostname: "h", encryptionKey: "ab", maxFuel: 9)),
            .call(CallRequest(app: "a", function: "f", params: [.object(["type": "u32", "value": .uint(7)])])),
            .list, .unload(name: "n"), .schema(app: "a"),
            .upload(.begin(UploadBegin(name: "big", size: 5, sha256: hash))),
            .upload(.chunk(UploadChunk(upload: "u", offset: 0, bytes: [1, 2]))),
            .upload(.commit(upload: "u")), .upload(.abort(upload: "u")),
            .connectCall(ConnectCallRequest(app: "a", function: "add", body: .object(["a": .int(2), "b": .int(40)]))),
            .connectCall(ConnectCallRequest(app: "a", function: "add", body: .object([:]), appAuth: "caller-token")),
            .mcpTools(app: "a"), .mcpTools(app: ""),
        ]
        for request in requests {
            let bytes = request.json().serialized()
            XCTAssertEqual(try ManagementRequest.decode(bytes).get(), request, String(decoding: bytes, as: UTF8.self))
        }
    }

    func testEveryManagementResponseRoundTrips() {
        let app = AppInfo(name: "a", hostname: "h", codeHash: hash, keySource: "generated",
                          exports: [ExportSummary(name: "hello", paramCount: 0, resultCount: 1)])
        let unavailable = [
            UnavailableApp(name: "q", codeHash: hash, state: .quarantined, reason: "trap", since: 1_700_000_000),
            UnavailableApp(name: "r", codeHash: hash, state: .notRestored, reason: "invalid"),
        ]
        let responses: [ManagementResponse] = [
            .loaded(app), .ok(returns: []), .ok(returns: [.object(["type": "u8", "value": .uint(1)])]),
            .apps([app], unavailable: unavailable), .unloaded("a"), .notFound("a"),
            .schema(.object(["name": "a", "functions": .array([])])), .mcpTools(.object(["tools": .array([])])),
            .error("why"), .uploadReady(UploadTicket(upload: "u", chunkSize: 1 << 20, timeoutSeconds: 30)),
            .chunkReceived(upload: "u", received: 9), .uploadAborted(upload: "u"),
        ]
        for response in responses {
            let json = try? JSON.parse(response.encoded())
            XCTAssertEqual(json.flatMap(ManagementResponse.decode), response, response.json().serializedString)
        }
    }

    /// Every kind of type descriptor, in the bytes the schema has always carried (the original's
    /// shape: `kind` first, `name` second, enum cases under `names`, no `ok`/`err` when absent).
    func testTypeDescriptorsKeepTheirBytesAndReadBack() throws {
        let point = WITType.record(name: "point", fields: [.init(name: "x", type: .s32), .init(name: "y", type: .s32)])
        let cases: [(WITType, String)] = [
            (.u32, #"{"kind":"u32"}"#),
            (.list(.u8), #"{"kind":"list","element":{"kind":"u8"}}"#),
            (point, #"{"kind":"record","name":"point","fields":[{"name":"x","type":{"kind":"s32"}},{"name":"y","type":{"kind":"s32"}}]}"#),
            (.record(name: nil, fields: []), #"{"kind":"record","fields":[]}"#),
            (.tuple([.string, .f64]), #"{"kind":"tuple","elements":[{"kind":"string"},{"kind":"f64"}]}"#),
            (.variant(name: "shape", cases: [.init(name: "dot", type: nil), .init(name: "circle", type: .f32)]),
             #"{"kind":"variant","name":"shape","cases":[{"name":"dot"},{"name":"circle","type":{"kind":"f32"}}]}"#),
            (.enum(name: "color", cases: ["red", "green"]), #"{"kind":"enum","name":"color","names":["red","green"]}"#),
            (.option(.char), #"{"kind":"option","inner":{"kind":"char"}}"#),
            (.result(ok: nil, err: nil), #"{"kind":"result"}"#),
            (.result(ok: .bool, err: .string), #"{"kind":"result","ok":{"kind":"bool"},"err":{"kind":"string"}}"#),
            (.result(ok: nil, err: .string), #"{"kind":"result","err":{"kind":"string"}}"#),
            (.flags(name: "perms", names: ["read", "write"]), #"{"kind":"flags","name":"perms","names":["read","write"]}"#),
            (.own(resource: "blob"), #"{"kind":"own","resource":"blob"}"#),
            (.borrow(resource: "blob"), #"{"kind":"borrow","resource":"blob"}"#),
            (.list(.option(point)), #"{"kind":"list","element":{"kind":"option","inner":{"kind":"record","name":"point","fields":[{"name":"x","type":{"kind":"s32"}},{"name":"y","type":{"kind":"s32"}}]}}}"#),
        ]
        for (type, text) in cases {
            XCTAssertEqual(type.descriptor.serializedString, text)
            XCTAssertEqual(try WITType(descriptor: JSON.parse(Array(text.utf8))), type, text)
        }
    }

    func testDescriptorReaderAcceptsTheOlderShapesAndNamesWhatIsWrong() throws {
        XCTAssertEqual(try WITType(descriptor: .string("u64")), .u64)
        XCTAssertEqual(try WITType(descriptor: JSON.parse(Array(#"{"kind":"enum","cases":["a"]}"#.utf8))), .enum(name: nil, cases: ["a"]))
        XCTAssertEqual(try WITType(descriptor: JSON.parse(Array(#"{"kind":"result","ok":null}"#.utf8))), .result(ok: nil, err: nil))
        func failure(_ text: String) -> String? {
            guard let json = try? JSON.parse(Array(text.utf8)) else { return "unparseable test input" }
            let read = Result { () throws(WITDescriptorError) in try WITType(descriptor: json) }
            guard case .failure(let error) = read else { return nil }
            return error.description
        }
        XCTAssertEqual(failure(#""u128""#), #"schema type is unknown: "u128""#)
        XCTAssertEqual(failure(#"{"kind":"list"}"#), #"schema type lacks a member: {"kind":"list"}"#)
        XCTAssertEqual(failure(#"{"kind":"tuple"}"#), #"schema type lacks 'elements': {"kind":"tuple"}"#)
        XCTAssertEqual(failure(#"{"kind":"flags","names":[1]}"#), #"schema type has a non-string in 'names': {"kind":"flags","names":[1]}"#)
        XCTAssertEqual(failure(#"{"kind":"stream"}"#), #"schema type has an unknown kind: {"kind":"stream"}"#)
        let deep = String(repeating: #"{"kind":"list","element":"#, count: 110) + #""u8""# + String(repeating: "}", count: 110)
        XCTAssertEqual(failure(deep), "schema type nested deeper than 100")
    }

    func testTypedValueTags() {
        XCTAssertEqual(WITType.list(.u8).tag, "bytes")
        XCTAssertEqual(WITType.list(.u16).tag, "list")
        XCTAssertEqual(WITType.enum(name: "c", cases: []).tag, "enum")
        XCTAssertEqual(WITType.s64.tag, "s64")
        XCTAssertEqual(WITType.borrow(resource: "r").tag, "borrow")
    }
}
