import NIOCore
import NIOEmbedded
import XCTest
@testable import EnclaveProtocol

/// The frame codec in a pipeline (`ByteToMessageHandler(FrameCodec.Decoder())`), fed the way a
/// network feeds it: frames cut anywhere, several in one read, hostile headers.
final class FrameCodecTests: XCTestCase {
    private func channel(maxPayload: Int = Frame.maxPayload) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameCodec.Decoder(maxPayload: maxPayload)))
        return channel
    }

    private func frames(_ channel: EmbeddedChannel) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        while let payload = try channel.readInbound(as: ByteBuffer.self) { out.append(Array(payload.readableBytesView)) }
        return out
    }

    func testTheWriterMatchesTheFrameLayout() {
        var buffer = ByteBuffer()
        let written = buffer.writeFrame(Array(#""Ping""#.utf8))
        XCTAssertEqual(written, 10)
        XCTAssertEqual(Array(buffer.readableBytesView), [0, 0, 0, 6] + Array(#""Ping""#.utf8))
        XCTAssertEqual(Array(buffer.readableBytesView), Frame.encode(Array(#""Ping""#.utf8)))
        var empty = ByteBuffer()
        empty.writeFrame([UInt8]())
        XCTAssertEqual(Array(empty.readableBytesView), [0, 0, 0, 0])
    }

    func testSeveralFramesInOneRead() throws {
        let channel = try channel()
        let bytes = Frame.encode(Array("a".utf8)) + Frame.encode([]) + Frame.encode(Array("bcd".utf8))
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        XCTAssertEqual(try frames(channel), [Array("a".utf8), [], Array("bcd".utf8)])
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testFramesSplitAtEveryByte() throws {
        let channel = try channel()
        let payloads = [Array(#"{"Data":[104,105]}"#.utf8), Array(#""Pong""#.utf8)]
        for byte in payloads.flatMap(Frame.encode) {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        XCTAssertEqual(try frames(channel), payloads)
    }

    func testATruncatedHeaderOrBodyWaitsAndYieldsNothingAtTheEnd() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(bytes: [0, 0]))
        XCTAssertEqual(try frames(channel), [])
        try channel.writeInbound(ByteBuffer(bytes: [0, 5, 1, 2]))
        XCTAssertEqual(try frames(channel), [])
        XCTAssertNoThrow(try channel.finish())  // a partial frame at the end is dropped, not an error
    }

    func testAHeaderOverTheCapFailsBeforeItsBody() throws {
        let channel = try channel()
        let declared = UInt32(Frame.maxPayload + 1)
        let header: [UInt8] = [UInt8(declared >> 24), UInt8(declared >> 16 & 0xFF), UInt8(declared >> 8 & 0xFF), UInt8(declared & 0xFF)]
        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(bytes: header))) { error in
            XCTAssertEqual(error as? FrameError, .tooLarge(declared: declared, limit: Frame.maxPayload))
            XCTAssertEqual("\(error)", "frame too large: \(declared) bytes declared, the limit is \(Frame.maxPayload) bytes")
        }
    }

    func testExactlyTheLimitIsAcceptedAndTheHeaderIsBigEndian() throws {
        let channel = try channel()
        let frame = Frame.encode([UInt8](repeating: 0x20, count: Frame.maxPayload))
        XCTAssertEqual(Array(frame.prefix(4)), [0x01, 0x00, 0x00, 0x00])
        try channel.writeInbound(ByteBuffer(bytes: frame))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self)?.readableBytes, Frame.maxPayload)
    }

    func testEmptyFramesComeThroughAndABrokenStreamStaysBroken() throws {
        let channel = try channel(maxPayload: 10)
        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(bytes: Frame.encode([]) + Frame.encode([]) + [0, 0, 0, 11])))
        XCTAssertEqual(try frames(channel), [[], []])
        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(bytes: Frame.encode([1]))), "no frame after the stream broke")
        XCTAssertEqual(try frames(channel), [])
    }

    func testAFrameAtTheCapPassesAndASmallerCapIsHonoured() throws {
        let small = try channel(maxPayload: 3)
        try small.writeInbound(ByteBuffer(bytes: Frame.encode([1, 2, 3])))
        XCTAssertEqual(try frames(small), [[1, 2, 3]])
        XCTAssertThrowsError(try small.writeInbound(ByteBuffer(bytes: Frame.encode([1, 2, 3, 4])))) { error in
            XCTAssertEqual(error as? FrameError, .tooLarge(declared: 4, limit: 3))
        }
    }
}
