import NIOCore
import NIOEmbedded
import XCTest
@testable import EnclaveServer

/// The first decrypted byte chooses the protocol: the sniffer installs that protocol's handlers,
/// hands them every byte it saw, and leaves the pipeline.
final class ProtocolSnifferTests: XCTestCase {
    /// Collects what reaches the end of the pipeline, and which installer ran.
    private final class Recorder: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: used only on the EmbeddedChannel's thread (the test's).
        typealias InboundIn = ByteBuffer
        let protocolName: String
        var received: [UInt8] = []
        init(_ protocolName: String) { self.protocolName = protocolName }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += Array(buffer: unwrapInboundIn(data))
        }
    }

    private var frames: Recorder!
    private var http: Recorder!
    private var channel: EmbeddedChannel!

    override func setUpWithError() throws {
        frames = Recorder("frames")
        http = Recorder("http")
        let frames = self.frames!, http = self.http!
        let sniffer = ProtocolSniffer(frames: { try $0.addHandler(frames) }, http: { try $0.addHandler(http) })
        channel = EmbeddedChannel(handler: sniffer)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    }

    override func tearDownWithError() throws {
        _ = try? channel.finish()
    }

    private func send(_ bytes: [UInt8]) throws {
        try channel.writeInbound(channel.allocator.buffer(bytes: bytes))
    }

    func testARequestLineGoesToHTTPWithEveryByteAndTheSnifferLeaves() throws {
        try send(Array("POST /rpc/demo/add HTTP/1.1\r\n".utf8))
        try send(Array("Host: demo\r\n\r\n".utf8))
        XCTAssertEqual(String(decoding: http.received, as: UTF8.self), "POST /rpc/demo/add HTTP/1.1\r\nHost: demo\r\n\r\n")
        XCTAssertTrue(frames.received.isEmpty)
        XCTAssertThrowsError(try channel.pipeline.syncOperations.handler(type: ProtocolSniffer.self))
    }

    func testAFrameHeaderGoesToTheFrameHandlers() throws {
        let frame: [UInt8] = [0, 0, 0, 2, 0x7B, 0x7D]
        try send(frame)
        XCTAssertEqual(frames.received, frame)
        XCTAssertTrue(http.received.isEmpty)
        XCTAssertThrowsError(try channel.pipeline.syncOperations.handler(type: ProtocolSniffer.self))
    }

    func testAnythingElseGoesToTheFrameDecoderWhichAnswersItsLength() throws {
        // Lower-case letters, digits and bytes ≥ 0x80 are neither a method nor a legal frame size.
        for first in [UInt8(ascii: "g"), UInt8(ascii: "1"), 0xFF] {
            XCTAssertFalse(ProtocolSniffer.isHTTP(firstByte: first), "\(first)")
        }
        try send([0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertEqual(frames.received, [0xFF, 0xFF, 0xFF, 0xFF])
    }

    func testEveryMethodOfTheRoutesIsHTTP() {
        for method in ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"] {
            XCTAssertTrue(ProtocolSniffer.isHTTP(firstByte: Array(method.utf8)[0]), method)
        }
    }

    func testAnEmptyReadDecidesNothing() throws {
        try send([])
        XCTAssertNoThrow(try channel.pipeline.syncOperations.handler(type: ProtocolSniffer.self))
        try send(Array("GET /healthz HTTP/1.1\r\n\r\n".utf8))
        XCTAssertEqual(String(decoding: http.received, as: UTF8.self), "GET /healthz HTTP/1.1\r\n\r\n")
    }

    func testAShutdownBeforeTheFirstByteClosesTheConnection() throws {
        XCTAssertTrue(channel.isActive)
        channel.pipeline.fireUserInboundEventTriggered(RequestHandler.Drain())
        channel.embeddedEventLoop.run()
        XCTAssertFalse(channel.isActive)
    }

    func testAnInstallerThatFailsClosesTheConnection() throws {
        struct Refused: Error {}
        let failing = EmbeddedChannel(handler: ProtocolSniffer(frames: { _ in throw Refused() }, http: { _ in throw Refused() }))
        try failing.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try failing.writeInbound(failing.allocator.buffer(bytes: [0, 0, 0, 0]))
        XCTAssertFalse(failing.isActive)
        XCTAssertNil(try failing.readInbound(as: ByteBuffer.self))
    }
}
