import XCTest
@testable import HostInterfaces

final class RandomClockOutputTests: XCTestCase {
    func testRandomBytesAreFreshAndCapped() throws {
        let a = try EntropySource.bytes(64 * 1024)
        let b = try EntropySource.bytes(64 * 1024)
        XCTAssertEqual(a.count, 65536)
        XCTAssertNotEqual(a, b)
        // 64 KiB of CSPRNG output uses every byte value (a stuck or short source would not).
        XCTAssertEqual(Set(a).count, 256)
        XCTAssertEqual(try EntropySource.bytes(0), [])
        XCTAssertEqual(try EntropySource.bytes(7).count, 7)
        XCTAssertThrowsError(try EntropySource.bytes(64 * 1024 + 1)) { error in
            XCTAssertEqual(error as? EntropySource.Failure, .tooManyBytes(requested: 65537, limit: 65536))
            XCTAssertTrue("\(error)".contains("65536"))
        }
        XCTAssertThrowsError(try EntropySource.bytes(UInt64.max))
        XCTAssertNotEqual(EntropySource.u64(), EntropySource.u64())
    }

    func testInsecureSeedIsStablePerSession() {
        let session = WASISession(kv: nil)
        XCTAssertEqual(session.insecureSeed.0, session.insecureSeed.0)
        XCTAssertEqual(session.insecureSeed.1, session.insecureSeed.1)
    }

    func testWallClockHasRealNanoseconds() {
        let now = Clocks.wallNow()
        let reference = Date().timeIntervalSince1970
        XCTAssertEqual(Double(now.seconds), reference, accuracy: 2)
        XCTAssertLessThan(now.nanoseconds, 1_000_000_000)
        // Whole seconds only (the original's behaviour) would give 0 every time.
        var sawNonZero = false
        for _ in 0..<5 where !sawNonZero {
            sawNonZero = Clocks.wallNow().nanoseconds != 0
        }
        XCTAssertTrue(sawNonZero)
        XCTAssertLessThanOrEqual(Clocks.wallResolution().nanoseconds, 1_000_000)
    }

    func testMonotonicNeverDecreasesAndAdvances() {
        var last = Clocks.monotonicNow()
        let start = last
        for _ in 0..<100_000 {
            let now = Clocks.monotonicNow()
            XCTAssertGreaterThanOrEqual(now, last)
            last = now
        }
        usleep(2_000)
        XCTAssertGreaterThanOrEqual(Clocks.monotonicNow() - start, 2_000_000)
        XCTAssertGreaterThanOrEqual(Clocks.monotonicResolution(), 1)
    }

    func testPollWaitsForDeadlineWithinBudget() throws {
        var configuration = WASISession.Configuration()
        configuration.maxBlockedNanoseconds = 50_000_000
        let session = WASISession(kv: nil, configuration: configuration)
        let start = Clocks.monotonicNow()
        let soon = try session.subscribe(deadline: start + 5_000_000)
        let ready = try session.subscribe()
        XCTAssertEqual(try session.poll([soon, ready]), [1])
        XCTAssertFalse(try session.isReady(soon))
        try session.block(soon)
        XCTAssertGreaterThanOrEqual(Clocks.monotonicNow() - start, 5_000_000)
        XCTAssertTrue(try session.isReady(soon))
        let late = try session.subscribe(deadline: Clocks.monotonicNow() + 10_000_000_000)
        XCTAssertThrowsError(try session.block(late)) { error in
            XCTAssertEqual(error as? WASIHostFault, .blockedTooLong(limitNanoseconds: 50_000_000))
        }
        XCTAssertThrowsError(try session.poll([]))
    }

    func testStdoutLinesAreSplitTaggedAndCapped() throws {
        var lines: [String] = []
        var configuration = WASISession.Configuration()
        configuration.maxLineBytes = 10
        configuration.maxOutputBytes = 40
        let session = WASISession(kv: nil, configuration: configuration) { channel, line in lines.append("\(channel.rawValue): \(line)") }
        let out = try session.standardStream(.stdout)
        let err = try session.standardStream(.stderr)
        try session.streamWrite(out, Array("hello\nwor".utf8)).get()
        try session.streamWrite(err, Array("oops\n".utf8)).get()
        try session.streamWrite(out, Array("ld\n0123456789abc".utf8)).get()
        XCTAssertEqual(lines, ["stdout: hello", "stderr: oops", "stdout: world", "stdout: 0123456789"])
        try session.streamWrite(out, [UInt8](repeating: UInt8(ascii: "z"), count: 100)).get()
        try session.finish()
        XCTAssertTrue(lines.contains { $0.contains("output truncated") })
        XCTAssertEqual(session.stdout.acceptedBytes, 40)
        XCTAssertEqual(session.stdout.droppedBytes, 125 - 40)
        let stdin = try session.standardStream(nil)
        XCTAssertEqual(try session.streamRead(stdin, length: 10), .failure(.closed))
    }
}
