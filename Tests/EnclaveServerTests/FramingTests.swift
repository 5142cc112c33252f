import EnclaveProtocol
import EnclaveServer
import XCTest

/// Frame boundaries, limits, ordering and large responses (docs/protocol.md §1–2).
final class FramingTests: XCTestCase {
    private var harness: ServerHarness!

    override func setUp() async throws {
        harness = try await ServerHarness.start()
    }

    override func tearDown() async throws {
        await harness.stop()
    }

    func testFrameSentOneByteAtATime() async throws {
        let client = try await harness.connect()
        for byte in Frame.encode(Array(#"{"Data":[104,101,108,108,111]}"#.utf8)) {
            try await client.write([byte])
        }
        let response = try await client.readResponse()
        XCTAssertEqual(response, .data(Array("world".utf8)))
    }

    func testTwoFramesInOneWrite() async throws {
        let client = try await harness.connect()
        try await client.write(Frame.encode(Array(#""Ping""#.utf8)) + Frame.encode(Array("nope".utf8)))
        let r1 = try await client.readResponse()
        XCTAssertEqual(r1, .pong)
        let r2 = try await client.readResponse()
        XCTAssertEqual(r2?.errorMessage, "invalid JSON request")
    }

    func testFrameSplitAcrossWritesMidHeaderAndMidBody() async throws {
        let client = try await harness.connect()
        let bytes = Frame.encode(Array(#""Ping""#.utf8)) + Frame.encode(Array(#""Ping""#.utf8))
        try await client.write(Array(bytes[0..<2]))
        try await client.write(Array(bytes[2..<7]))
        try await client.write(Array(bytes[7..<12]))
        try await client.write(Array(bytes[12...]))
        let r3 = try await client.readResponse()
        XCTAssertEqual(r3, .pong)
        let r4 = try await client.readResponse()
        XCTAssertEqual(r4, .pong)
    }

    func testPayloadOfExactly16MiBIsAccepted() async throws {
        let client = try await harness.connect()
        // Valid JSON of exactly the limit: "Ping" padded with leading whitespace.
        let ping = Array(#""Ping""#.utf8)
        let payload = Array(repeating: UInt8(ascii: " "), count: Frame.maxPayload - ping.count) + ping
        XCTAssertEqual(payload.count, 16 << 20)
        let reply = try await client.roundTrip(payload)
        XCTAssertEqual(Response.decode(reply), .pong)
    }

    func testOversizedHeaderGetsErrorThenClose() async throws {
        let client = try await harness.connect()
        let declared = UInt32(Frame.maxPayload + 1)
        // Only the header: the server must answer at once, without waiting for 16 MiB of body.
        try await client.write([UInt8(declared >> 24), UInt8((declared >> 16) & 0xFF), UInt8((declared >> 8) & 0xFF), UInt8(declared & 0xFF)])
        let response = try await client.readResponse(timeout: .seconds(10))
        let message = try XCTUnwrap(response?.errorMessage)
        XCTAssertTrue(message.contains("\(declared)"), message)
        XCTAssertTrue(message.contains("\(Frame.maxPayload)"), message)
        let closed = await client.waitForClose()
        XCTAssertTrue(closed, "the server kept the connection open after an oversized frame")
    }

    func testOversizedFrameIsAnsweredAfterEarlierPipelinedRequests() async throws {
        let client = try await harness.connect()
        try await client.write(Frame.encode(Array(#""Ping""#.utf8)) + [0xFF, 0xFF, 0xFF, 0xFF])
        let r5 = try await client.readResponse()
        XCTAssertEqual(r5, .pong)
        let r6 = try await client.readResponse()
        XCTAssertNotNil(r6?.errorMessage)
        let closed = await client.waitForClose()
        XCTAssertTrue(closed)
    }

    func testOversizedFrameDoesNotAffectOtherConnections() async throws {
        let victim = try await harness.connect()
        let attacker = try await harness.connect()
        try await attacker.write([0x7F, 0xFF, 0xFF, 0xFF])
        _ = try await attacker.readFrame()
        let r7 = try await victim.request(#""Ping""#)
        XCTAssertEqual(r7, .pong)
    }

    func testPipelinedRequestsAreAnsweredInOrder() async throws {
        let client = try await harness.connect()
        // Alternate requests of very different cost, so out-of-order completion would show.
        var expected: [Response] = []
        var bytes: [UInt8] = []
        for index in 0..<40 {
            switch index % 4 {
            case 0:
                bytes += Frame.encode(Array(#""Ping""#.utf8)); expected.append(.pong)
            case 1:
                let name = "app-\(index)"
                bytes += Frame.encode(Request.data(Array(#"{"wasm_unload":{"name":"\#(name)"}}"#.utf8)).encoded())
                expected.append(.data(ManagementResponse.notFound(name).encoded()))
            case 2:
                bytes += Frame.encode(Array("garbage \(index)".utf8)); expected.append(.error("invalid JSON request"))
            default:
                // A large, slow-to-parse request between cheap ones.
                let big = Request.data(Array(repeating: UInt8(ascii: " "), count: 200_000) + Array("hello".utf8)).encoded()
                bytes += Frame.encode(big)
                expected.append(.data(ManagementResponse.error("").encoded()))  // placeholder, checked below
            }
        }
        try await client.write(bytes)
        for (index, want) in expected.enumerated() {
            let got = try await client.readResponse()
            if index % 4 == 3 {
                // Whitespace then `hello` is not the 5-byte smoke test: it is an inner JSON error.
                guard case .data(let inner)? = got else { return XCTFail("response \(index): \(String(describing: got))") }
                XCTAssertEqual(try JSON.parse(inner)["status"]?.stringValue, "error", "response \(index)")
            } else {
                XCTAssertEqual(got, want, "response \(index)")
            }
        }
    }

    func testResponseLargerThanOneMiBIsWrittenWhole() async throws {
        let client = try await harness.connect()
        // An unknown message key is echoed in the error, so a 1.5 MB key gives a response of
        // about 6 MB once the inner document is written as an integer array.
        let key = String(repeating: "k", count: 1_500_000)
        let reply = try await client.roundTrip(Request.data(Array(#"{"\#(key)":1}"#.utf8)).encoded())
        XCTAssertGreaterThan(reply.count, 1 << 20)
        guard case .data(let inner)? = Response.decode(reply) else { return XCTFail("not a Data response") }
        let json = try JSON.parse(inner)
        XCTAssertEqual(json["status"]?.stringValue, "error")
        XCTAssertTrue(json["message"]?.stringValue?.contains(key) ?? false)
        let r8 = try await client.request(#""Ping""#)
        XCTAssertEqual(r8, .pong)
    }
}

extension FramingTests {
    func testFiveHundredPipelinedRequestsInOneWrite() async throws {
        // More than the per-connection queue (32), so reading pauses and resumes meanwhile.
        let client = try await harness.connect()
        var bytes: [UInt8] = []
        for index in 0..<500 {
            bytes += Frame.encode(index % 2 == 0 ? Array(#""Ping""#.utf8) : Request.data(Array("hello".utf8)).encoded())
        }
        try await client.write(bytes)
        for index in 0..<500 {
            let response = try await client.readResponse()
            XCTAssertEqual(response, index % 2 == 0 ? .pong : .data(Array("world".utf8)), "response \(index)")
        }
    }
}

extension FramingTests {
    func testSeveralLargePipelinedFramesAreAllAnswered() async throws {
        // 6 × 8 MiB exceeds the 32 MiB queued-bytes budget, so reading pauses and resumes.
        let client = try await harness.connect()
        let ping = Array(#""Ping""#.utf8)
        let frame = Frame.encode(Array(repeating: UInt8(ascii: " "), count: 8 << 20) + ping)
        var bytes: [UInt8] = []
        for _ in 0..<6 { bytes += frame }
        try await client.write(bytes)
        for index in 0..<6 {
            let response = try await client.readResponse()
            XCTAssertEqual(response, .pong, "response \(index)")
        }
    }
}
