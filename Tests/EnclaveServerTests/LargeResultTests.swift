import EnclaveClient
import EnclaveProtocol
import EnclaveServer
import XCTest

/// Results larger than a frame: chunked to clients that ask for it, refused (with the sizes) to
/// the others, and capped per call (docs/protocol.md, "Large results").
final class LargeResultTests: XCTestCase {
    private var harness: ServerHarness!
    private var connection: EnclaveConnection!

    override func tearDown() async throws {
        await connection?.close()
        await harness?.stop()
    }

    private func start(_ configure: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        harness = try await ServerHarness.start(configure)
        connection = try await EnclaveConnection.connect(host: "127.0.0.1", port: harness.address.port ?? 0)
        _ = try connection.load(name: "values", bytes: try GuestFiles.bytes("Guests/large-values/large-values.wasm"), base64: true)
    }

    /// The blocking call API (XCTAssertThrowsError takes no async expression).
    private func callBlocking(app: String, function: String, params: [JSON]) throws -> [JSON] {
        try connection.call(app: app, function: function, params: params)
    }

    private func u32(_ value: Int) -> JSON { .object(["type": "u32", "value": .uint(UInt64(value))]) }

    func testA16MiBStringResultArrivesInChunks() async throws {
        try await start()
        let size = 16 << 20
        let returns = try await connection.call(app: "values", function: "big-string", params: [u32(size)])
        let value = try XCTUnwrap(returns.first?["value"]?.stringValue)
        XCTAssertEqual(value.utf8.count, size)
        XCTAssertTrue(value.utf8.allSatisfy { $0 == UInt8(ascii: "a") })
        // The connection is still in step: the next request gets its own answer.
        try await connection.ping()
        let small = try await connection.call(app: "values", function: "big-string", params: [u32(3)])
        XCTAssertEqual(small, [.object(["type": "string", "value": "aaa"])])
    }

    func testTheChunkedFramesOnTheWire() async throws {
        try await start()
        let client = try await harness.connect()
        let call = ManagementRequest.call(CallRequest(app: "values", function: "big-string", params: [u32(20 << 20)], chunkedResult: true))
        try await client.send(Request.data(call.json().serialized()).encoded(bytesAs: .base64))
        guard case .chunked(let head)? = try await client.readResponse() else { return XCTFail("no Chunked head") }
        XCTAssertEqual(head.chunks, 2)
        var document: [UInt8] = []
        for _ in 0..<head.chunks {
            let frame = try await client.readFrame()
            XCTAssertLessThanOrEqual(frame.count, Frame.maxPayload)
            guard case .data(let bytes)? = Response.decode(frame) else { return XCTFail("a chunk is not Data") }
            document += bytes
        }
        XCTAssertEqual(document.count, head.size)
        let json = try JSON.parse(document)
        XCTAssertEqual(json["returns"]?.arrayValue?.first?["value"]?.stringValue?.utf8.count, 20 << 20)
    }

    func testWithoutChunkedResultTheSizeIsRefusedByName() async throws {
        try await start()
        let call = ManagementRequest.call(CallRequest(app: "values", function: "big-string", params: [u32(16 << 20)])).json()
        let answer = try await connection.management(call, bytesAs: .base64)
        let message = try XCTUnwrap(answer["message"]?.stringValue)
        XCTAssertTrue(message.hasPrefix("call failed: result of 16777272 bytes exceeds the 16777216-byte frame limit"), message)
        XCTAssertTrue(message.contains("\"chunked_result\":true"), message)
        // A compat client (integer arrays) hits the frame limit sooner, and is told the same way.
        let compat = try await connection.management(ManagementRequest.call(CallRequest(app: "values", function: "big-string",
                                                                                   params: [u32(6 << 20)])).json())
        let preview = String(compat.serializedString.prefix(300))
        XCTAssertEqual(compat["status"]?.stringValue, "error", preview)
        XCTAssertTrue(compat["message"]?.stringValue?.contains("frame limit") == true, preview)
    }

    func testPerCallResultCaps() async throws {
        try await start {
            $0.maxResultBytes = 1 << 20
            $0.maxResultMemoryBytes = 8 << 20
        }
        XCTAssertThrowsError(try callBlocking(app: "values", function: "big-string", params: [u32(2 << 20)])) { error in
            XCTAssertEqual("\(error)", "call failed: result of 2097208 bytes exceeds the 1048576-byte result limit of this server")
        }
        // list<u8> as typed JSON is one number node per byte: 1 MiB of bytes would take ~32 MiB.
        XCTAssertThrowsError(try callBlocking(app: "values", function: "big-bytes", params: [u32(1 << 20)])) { error in
            XCTAssertEqual("\(error)", "call failed: the result would take about 33554592 bytes of server memory as typed JSON, "
                           + "over the 8388608-byte limit per call result")
        }
        let fits = try await connection.call(app: "values", function: "big-bytes", params: [u32(1000)])
        XCTAssertEqual(fits.first?["value"]?.byteArray()?.count, 1000)
    }

    func testALargeParameterArrives() async throws {
        try await start()
        let text = String(repeating: "b", count: 3 << 20)
        let length = try await connection.call(app: "values", function: "string-length", params: [.object(["type": "string", "value": .string(text)])])
        XCTAssertEqual(length, [u32(3 << 20)])
    }
}
