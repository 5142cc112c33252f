import XCTest
@testable import EnclaveProtocol

final class FrameTests: XCTestCase {
    func testSplitAcrossReadsByteByByte() throws {
        let wire = Frame.encode(Array("\"Ping\"".utf8)) + Frame.encode(Array("\"Ok\"".utf8))
        var decoder = FrameDecoder()
        var frames: [[UInt8]] = []
        for b in wire {
            decoder.append([b])
            while let f = try decoder.nextFrame() { frames.append(f) }
        }
        XCTAssertEqual(frames.map { String(decoding: $0, as: UTF8.self) }, ["\"Ping\"", "\"Ok\""])
        XCTAssertEqual(decoder.bufferedByteCount, 0)
    }

    func testTwoFramesInOneRead() throws {
        var decoder = FrameDecoder()
        decoder.append(Frame.encode([1, 2]) + Frame.encode([]) + Frame.encode([3]))
        XCTAssertEqual(try decoder.nextFrame(), [1, 2])
        XCTAssertEqual(try decoder.nextFrame(), [])
        XCTAssertEqual(try decoder.nextFrame(), [3])
        XCTAssertNil(try decoder.nextFrame())
    }

    func testExactlyTheLimitIsAcceptedAndOneMoreIsNot() throws {
        var decoder = FrameDecoder()
        decoder.append(Frame.encode([UInt8](repeating: 0x20, count: Frame.maxPayload)))
        XCTAssertEqual(try decoder.nextFrame()?.count, Frame.maxPayload)

        var over = FrameDecoder()
        over.append([0x01, 0x00, 0x00, 0x01])  // 16 MiB + 1, rejected from the header alone
        XCTAssertThrowsError(try over.nextFrame()) { error in
            XCTAssertEqual(error as? FrameError, .tooLarge(declared: UInt32(Frame.maxPayload + 1), limit: Frame.maxPayload))
        }
    }

    func testHeaderIsBigEndian() {
        XCTAssertEqual(Array(Frame.encode([UInt8](repeating: 0, count: 258)).prefix(4)), [0, 0, 1, 2])
    }
}
