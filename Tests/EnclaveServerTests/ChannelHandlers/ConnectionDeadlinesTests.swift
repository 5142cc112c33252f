import NIOCore
import NIOEmbedded
import NIOTLS
import XCTest
@testable import EnclaveServer

/// The handshake and idle deadlines of one connection, on the embedded event loop's clock.
final class ConnectionDeadlinesTests: XCTestCase {
    private let handshake = TimeAmount.seconds(10)
    private let idle = TimeAmount.seconds(60)
    private var channel: EmbeddedChannel!

    override func setUpWithError() throws {
        channel = EmbeddedChannel(handler: ConnectionDeadlines(handshakeTimeout: handshake, idleTimeout: idle))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    }

    override func tearDownWithError() throws {
        _ = try? channel.finish()
    }

    private func completeHandshake() {
        channel.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
    }

    private func advance(_ amount: TimeAmount) {
        channel.embeddedEventLoop.advanceTime(by: amount)
    }

    private func activity(_ event: ConnectionDeadlines.Activity) throws {
        try channel.pipeline.triggerUserOutboundEvent(event).wait()
    }

    func testAHandshakeThatNeverCompletesIsClosedAtItsDeadline() {
        advance(handshake - .milliseconds(1))
        XCTAssertTrue(channel.isActive)
        advance(.milliseconds(1))
        XCTAssertFalse(channel.isActive)
    }

    func testACompletedHandshakeCancelsItsDeadlineAndIdlenessClosesLater() {
        advance(.seconds(1))
        completeHandshake()
        advance(handshake)
        XCTAssertTrue(channel.isActive, "the handshake deadline must not fire after the handshake")
        advance(idle - handshake - .milliseconds(1))
        XCTAssertTrue(channel.isActive)
        advance(.milliseconds(1))
        XCTAssertFalse(channel.isActive)
    }

    func testReadsAndWritesPostponeTheIdleClose() throws {
        completeHandshake()
        advance(idle - .seconds(1))
        try channel.writeInbound(channel.allocator.buffer(bytes: [1]))
        advance(.seconds(30))
        try channel.writeOutbound(channel.allocator.buffer(bytes: [2]))
        advance(idle - .seconds(1))
        XCTAssertTrue(channel.isActive)
        advance(.seconds(1))
        XCTAssertFalse(channel.isActive)
    }

    func testARequestInProgressIsNeverIdle() throws {
        completeHandshake()
        try activity(.requestStarted)
        advance(idle * 5)
        XCTAssertTrue(channel.isActive, "a slow call must not be taken for an idle connection")
        try activity(.requestFinished)
        advance(idle - .milliseconds(1))
        XCTAssertTrue(channel.isActive)
        advance(idle)
        XCTAssertFalse(channel.isActive)
    }

    func testOtherOutboundEventsPassThrough() throws {
        struct Other: Sendable {}
        completeHandshake()
        // It reaches the embedded channel's head, which refuses events it does not know; the
        // handler's own events never get there.
        XCTAssertThrowsError(try channel.pipeline.triggerUserOutboundEvent(Other()).wait()) { error in
            XCTAssertEqual(error as? ChannelError, .operationUnsupported)
        }
        XCTAssertNoThrow(try activity(.requestStarted))
        XCTAssertTrue(channel.isActive)
    }
}
