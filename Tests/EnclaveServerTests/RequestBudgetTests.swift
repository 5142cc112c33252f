import EnclaveProtocol
import EnclaveServer
import XCTest

/// The server-wide request budget: large frames wait their turn with their bytes left in the
/// kernel, small ones are served meanwhile, and nothing stays reserved once connections go.
final class RequestBudgetTests: XCTestCase {
    private var harness: ServerHarness!

    override func tearDown() async throws {
        await harness?.stop()
    }

    private func header(_ length: Int) -> [UInt8] {
        var out: [UInt8] = []
        Frame.appendHeader(length: length, to: &out)
        return out
    }

    /// `"Ping"` padded with leading spaces to `length` bytes: valid, and cheap to answer.
    private func paddedPing(_ length: Int) -> [UInt8] {
        let ping = Array(#""Ping""#.utf8)
        return [UInt8](repeating: UInt8(ascii: " "), count: length - ping.count) + ping
    }

    private func waitFor(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(20)
        while !condition() {
            guard Date() < deadline else { return XCTFail("timed out waiting for \(what)") }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    func testALargeFrameWaitsItsTurnWhileSmallFramesAreServed() async throws {
        harness = try await ServerHarness.start { $0.maxBufferedRequestBytes = 16 << 20 }
        let server = harness.server
        let size = 12 << 20
        let first = try await harness.connect()
        let second = try await harness.connect()
        let bystander = try await harness.connect()
        let frame = paddedPing(size)
        try await first.write(header(size) + Array(frame[0..<(1 << 20)]))
        try await waitFor("the first frame's reservation") { server.requestBudgetUsage.used >= size }
        // Not awaited: what the server does not read may not fit the kernel's buffers.
        let start = header(size) + Array(frame[0..<(1 << 20)])
        var buffer = second.channel.allocator.buffer(capacity: start.count)
        buffer.writeBytes(start)
        second.channel.writeAndFlush(buffer, promise: nil)
        try await waitFor("the second frame to queue") { server.requestBudgetUsage.waiting == 1 }
        // Over the budget, a small request is still answered at once.
        let pong = try await bystander.request(#""Ping""#)
        XCTAssertEqual(pong, .pong)
        XCTAssertEqual(server.requestBudgetUsage.waiting, 1)
        // The first frame completes and is answered; its bytes go to the second.
        try await first.write(Array(frame[(1 << 20)...]))
        let firstAnswer = try await first.readResponse()
        XCTAssertEqual(firstAnswer, .pong)
        try await waitFor("the second frame to be admitted") { server.requestBudgetUsage.waiting == 0 }
        try await second.write(Array(frame[(1 << 20)...]))
        let secondAnswer = try await second.readResponse()
        XCTAssertEqual(secondAnswer, .pong)
        try await waitFor("every reservation to be released") { server.requestBudgetUsage.used == 0 }
        XCTAssertLessThanOrEqual(server.requestBudgetUsage.peak, 16 << 20)
    }

    func testConnectionsClosingWhileHoldingOrWaitingReleaseEverything() async throws {
        harness = try await ServerHarness.start { $0.maxBufferedRequestBytes = 16 << 20 }
        let server = harness.server
        let holder = try await harness.connect()
        let waiter = try await harness.connect()
        try await holder.write(header(10 << 20) + [UInt8](repeating: 0x20, count: 1000))
        try await waitFor("the reservation") { server.requestBudgetUsage.used >= 10 << 20 }
        try await waiter.write(header(10 << 20) + [UInt8](repeating: 0x20, count: 1000))
        try await waitFor("the waiter") { server.requestBudgetUsage.waiting == 1 }
        await waiter.close()
        try await waitFor("the waiter to leave the queue") { server.requestBudgetUsage.waiting == 0 }
        await holder.close()
        try await waitFor("the holder's bytes") { server.requestBudgetUsage.used == 0 }
    }

    func testAStalledBodyIsClosedAndItsBudgetReturned() async throws {
        harness = try await ServerHarness.start { $0.frameStallTimeoutSeconds = 1 }
        let client = try await harness.connect()
        try await client.write(header(1 << 20) + Array("     ".utf8))
        let response = try await client.readResponse(timeout: .seconds(15))
        XCTAssertEqual(response?.errorMessage, "frame body stalled: 5 of 1048576 bytes arrived, then nothing for 1 s; closing")
        let closed = await client.waitForClose()
        XCTAssertTrue(closed)
        XCTAssertEqual(harness.server.requestBudgetUsage.used, 0)
    }

    /// The same watch on the HTTP side: a body that stops arriving is answered 408 and closed.
    func testAStalledHTTPBodyIsAnsweredAndItsBudgetReturned() async throws {
        harness = try await ServerHarness.start { $0.frameStallTimeoutSeconds = 1 }
        let client = try await HTTPTestClient.connect(to: harness.address, group: harness.clientGroup)
        defer { Task { await client.close() } }
        // Announces 1 MiB, sends 5 bytes, then nothing.
        let reply = try await client.request(.POST, "/data", body: Array("     ".utf8),
                                             headers: [("Content-Length", String(1 << 20))], timeout: .seconds(15))
        XCTAssertEqual(reply.status, 408, reply.text)
        XCTAssertTrue(reply.text.contains("request body stalled: 5 of 1048576 bytes arrived, then nothing for 1 s; closing"), reply.text)
        try await waitFor("the budget to be returned") { harness.server.requestBudgetUsage.used == 0 }
    }
}
