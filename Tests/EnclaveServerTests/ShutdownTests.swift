import EnclaveProtocol
import EnclaveServer
import XCTest

/// `Shutdown` is for the operator only (docs/protocol.md §1–2, improve).
final class ShutdownTests: XCTestCase {
    func testCompatShutdownWithoutTokenIsRefused() async throws {
        let harness = try await ServerHarness.start { $0.operatorToken = ServerHarness.operatorToken }
        let client = try await harness.connect()
        let response = try await client.request(#""Shutdown""#)
        XCTAssertTrue(response.errorMessage?.contains("operator token is required") ?? false, "\(response)")
        let ping = try await client.request(#""Ping""#)
        XCTAssertEqual(ping, .pong, "the server must keep serving after a refused Shutdown")
        await harness.stop()
    }

    func testWrongTokenIsRefused() async throws {
        let harness = try await ServerHarness.start { $0.operatorToken = ServerHarness.operatorToken }
        let client = try await harness.connect()
        let response = try await client.request(#"{"Shutdown":{"token":"guess"}}"#)
        XCTAssertEqual(response.errorMessage, "unauthorized: Shutdown refused: wrong operator token")
        let ping = try await client.request(#""Ping""#)
        XCTAssertEqual(ping, .pong)
        await harness.stop()
    }

    func testServerWithoutOperatorTokenRefusesEveryShutdown() async throws {
        let harness = try await ServerHarness.start { $0.operatorToken = nil }
        let client = try await harness.connect()
        for request in [#""Shutdown""#, #"{"Shutdown":{"token":""}}"#, #"{"Shutdown":{"token":"\#(ServerHarness.operatorToken)"}}"#] {
            let response = try await client.request(request)
            XCTAssertTrue(response.errorMessage?.contains("started without an operator token") ?? false, "\(request): \(response)")
        }
        await harness.stop()
    }

    func testRightTokenAnswersOkThenShutsDownGracefully() async throws {
        let harness = try await ServerHarness.start { $0.operatorToken = ServerHarness.operatorToken }
        let bystander = try await harness.connect()
        let operatorClient = try await harness.connect()
        let payload = try await operatorClient.roundTrip(Request.shutdown(token: ServerHarness.operatorToken).encoded())
        XCTAssertEqual(String(decoding: payload, as: UTF8.self), #""Ok""#)

        // waitUntilClosed returns once the shutdown has completed.
        let closed = expectation(description: "server closed")
        Task {
            await harness.server.waitUntilClosed()
            closed.fulfill()
        }
        await fulfillment(of: [closed], timeout: 10)
        let operatorClosed = await operatorClient.waitForClose()
        let bystanderClosed = await bystander.waitForClose()
        XCTAssertTrue(operatorClosed)
        XCTAssertTrue(bystanderClosed)

        // The port no longer accepts connections.
        do {
            let late = try await harness.connect()
            await late.close()
            XCTFail("the server still accepted a connection after Shutdown")
        } catch {}
        await harness.stop()
    }

    func testShutdownIsIdempotent() async throws {
        let harness = try await ServerHarness.start()
        let ping = try await harness.connect().request(#""Ping""#)
        XCTAssertEqual(ping, .pong)
        async let first: Void = harness.server.shutdown()
        async let second: Void = harness.server.shutdown()
        _ = await (first, second)
        await harness.server.waitUntilClosed()
        // Closed for good: a new connection is refused, and a third shutdown returns at once.
        do {
            _ = try await harness.connect()
            XCTFail("the listener still accepts connections after shutdown")
        } catch {}
        await harness.server.shutdown()
        await harness.stop()
    }
}
