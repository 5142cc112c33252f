import XCTest
@testable import HostInterfaces
import SealedStore

/// File modification/status-change times (`FileTimes`): real wall-clock nanoseconds, stored in a
/// separate sealed entry so stores written before times existed keep working; and the
/// write-back rule that makes `open-at(truncate)` + `write` reach the store as one put.
final class FileTimesTests: XCTestCase {
    private let backend = InMemoryBackend()
    private let key = AppKey.generate()
    private let rw: DescriptorFlags = [.read, .write]

    private func kv() throws -> SealedKV { try makeKV(backend: backend, key: key) }

    private func session() throws -> (WASISession, UInt32) {
        let session = WASISession(kv: try kv())
        return (session, try XCTUnwrap(session.preopens().first?.rep))
    }

    private func nanos(_ time: Clocks.DateTime) -> UInt64 { time.seconds * 1_000_000_000 + UInt64(time.nanoseconds) }

    func testEncodingRoundTripsAndRejectsOtherVersions() {
        let times = FileTimes(modified: .init(seconds: 1_700_000_000, nanoseconds: 123_456_789),
                              changed: .init(seconds: 1_700_000_001, nanoseconds: 999_999_999))
        XCTAssertEqual(times.encoded.count, 25)
        XCTAssertEqual(FileTimes(decoding: times.encoded), times)
        var otherVersion = times.encoded
        otherVersion[0] = 2
        XCTAssertNil(FileTimes(decoding: otherVersion))
        XCTAssertNil(FileTimes(decoding: Array(times.encoded.dropLast())))
    }

    func testWritesRecordRealTimesThatPersistAndFollowRenames() throws {
        let (s, root) = try session()
        let before = nanos(Clocks.wallNow())
        let fd = try s.openAt(root, path: "f.txt", openFlags: .create, flags: rw)
        _ = try s.write(fd, Array("abc".utf8), offset: 0)
        let open = try XCTUnwrap(try s.stat(fd).times, "an open file reports its times")
        let after = nanos(Clocks.wallNow())
        XCTAssertTrue((before...after).contains(nanos(open.modified)), "\(open) not within [\(before), \(after)]")
        XCTAssertEqual(open.modified, open.changed)
        try s.dropDescriptor(fd)
        try s.finish()

        // Stored next to the file, and read back by a later call.
        XCTAssertEqual(try kv().get("fs-times:/f.txt").flatMap(FileTimes.init(decoding:)), open)
        let (later, laterRoot) = try session()
        XCTAssertEqual(try later.statAt(laterRoot, path: "f.txt").times, open)

        // rename moves the times and updates only the status-change time.
        try later.createDirectoryAt(laterRoot, path: "d")
        try later.renameAt(laterRoot, oldPath: "f.txt", newDirectory: laterRoot, newPath: "d/g.txt")
        let moved = try XCTUnwrap(try later.statAt(laterRoot, path: "d/g.txt").times)
        XCTAssertEqual(moved.modified, open.modified)
        XCTAssertGreaterThan(nanos(moved.changed), nanos(open.changed))
        XCTAssertNil(try kv().get("fs-times:/f.txt"))
        // A directory rename carries the times of the files below it; unlink removes them.
        try later.renameAt(laterRoot, oldPath: "d", newDirectory: laterRoot, newPath: "e")
        XCTAssertEqual(try later.statAt(laterRoot, path: "e/g.txt").times?.modified, open.modified)
        XCTAssertNil(try kv().get("fs-times:/d/g.txt"))
        try later.unlinkFileAt(laterRoot, path: "e/g.txt")
        XCTAssertNil(try kv().get("fs-times:/e/g.txt"))
        // Listings never show the times entries.
        XCTAssertEqual(try later.fileSystem?.listDirectory(at: .root).map(\.name), ["e"])
    }

    func testFilesFromBeforeTimesExistedStillWorkAndGainTimesOnWrite() throws {
        // A store written by a server without times: only the `fs:` entry.
        try kv().put("fs:/old.txt", Array("legacy".utf8))
        let (s, root) = try session()
        let stat = try s.statAt(root, path: "old.txt")
        XCTAssertEqual(stat.size, 6)
        XCTAssertNil(stat.times)
        let fd = try s.openAt(root, path: "old.txt", openFlags: [], flags: rw)
        XCTAssertNil(try s.stat(fd).times)
        XCTAssertEqual(try s.read(fd, length: 100, offset: 0).bytes, Array("legacy".utf8))
        _ = try s.write(fd, Array("L".utf8), offset: 0)
        XCTAssertNotNil(try s.stat(fd).times)
        try s.dropDescriptor(fd)
        XCTAssertNotNil(try kv().get("fs-times:/old.txt"))
        XCTAssertEqual(try kv().get("fs:/old.txt"), Array("Legacy".utf8))
    }

    func testSetTimesKeepsAnExplicitModificationTime() throws {
        let (s, root) = try session()
        let fd = try s.openAt(root, path: "f", openFlags: .create, flags: rw)
        let chosen = Clocks.DateTime(seconds: 1_000_000_000, nanoseconds: 5)
        try s.setTimes(fd, modified: chosen)
        XCTAssertEqual(try s.stat(fd).times?.modified, chosen)
        try s.dropDescriptor(fd)
        try s.setTimesAt(root, path: "f", modified: nil)  // no-change keeps it
        try s.finish()
        let (later, laterRoot) = try session()
        XCTAssertEqual(try later.statAt(laterRoot, path: "f").times?.modified, chosen)
        assertCode(.noEntry, try later.setTimesAt(laterRoot, path: "missing", modified: chosen))
        try later.createDirectoryAt(laterRoot, path: "dir")
        XCTAssertNoThrow(try later.setTimesAt(laterRoot, path: "dir", modified: chosen), "directories: accepted, not kept")
        XCTAssertNil(try later.statAt(laterRoot, path: "dir").times)
    }

    /// A crash between a persisted truncate and the write-back would leave an empty file that
    /// is neither the old value nor the new one, so truncation is only written back with the
    /// new contents.
    func testTruncateReachesTheStoreOnlyWithTheNewContents() throws {
        let (s, root) = try session()
        let fd = try s.openAt(root, path: "f", openFlags: .create, flags: rw)
        _ = try s.write(fd, Array("old value".utf8), offset: 0)
        try s.dropDescriptor(fd)
        let again = try s.openAt(root, path: "f", openFlags: .truncate, flags: rw)
        XCTAssertEqual(try s.stat(again).size, 0, "the caller sees the truncation at once")
        XCTAssertEqual(try kv().get("fs:/f"), Array("old value".utf8), "the store still holds the old value")
        _ = try s.write(again, Array("new".utf8), offset: 0)
        try s.dropDescriptor(again)
        XCTAssertEqual(try kv().get("fs:/f"), Array("new".utf8))
    }
}
