import Foundation
import XCTest
@testable import HostInterfaces
import SealedStore

/// A call that creates or rewrites a file and syncs it (what a key-value app does: `open-at`
/// create|truncate, `write`, `sync-data`, drop) reaches the store as ONE durable commit, on a real
/// SQLite file with `synchronous=FULL`; what `sync` acknowledged is in the file when it is opened
/// again without a clean close; quota and visibility rules hold for the buffered creation.
final class OneDurableWritePerCallTests: XCTestCase {
    private var directory: String!
    private var backend: SQLiteBackend!
    private let key = AppKey.generate()
    private let rw: DescriptorFlags = [.read, .write]

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "one-durable-write-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        backend = try SQLiteBackend(path: directory + "/store.sqlite")
    }

    override func tearDownWithError() throws {
        backend.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func session(limits: SealedKVLimits = .default) throws -> (WASISession, UInt32) {
        let session = WASISession(kv: try SealedKV(appName: "app", appKey: key, backend: backend, limits: limits))
        return (session, try XCTUnwrap(session.preopens().first?.rep))
    }

    /// Commits made while `body` runs.
    private func commits(_ body: () throws -> Void) rethrows -> Int {
        let before = backend.commitStatistics.commits
        try body()
        return backend.commitStatistics.commits - before
    }

    /// The reference app's `kv-store`: open-at create|truncate, write, sync-data, drop, end of call.
    private func store(_ path: String, _ text: String) throws {
        let (call, root) = try session()
        let fd = try call.openAt(root, path: path, openFlags: [.create, .truncate], flags: rw)
        XCTAssertEqual(try call.write(fd, Array(text.utf8), offset: 0), UInt64(text.utf8.count))
        try call.sync(fd)
        try call.dropDescriptor(fd)
        try call.dropDescriptor(root)
        try call.finish()
    }

    func testCreatingOrRewritingAndSyncingAFileIsOneCommit() throws {
        XCTAssertEqual(try commits { try store("new-key", "first value") }, 1, "a new file: creation and contents in one commit")
        XCTAssertEqual(try commits { try store("new-key", "second value") }, 1, "a rewrite: one commit")
        let (reader, root) = try session()
        let fd = try reader.openAt(root, path: "new-key", openFlags: [], flags: .read)
        XCTAssertEqual(String(decoding: try reader.read(fd, length: 100, offset: 0).bytes, as: UTF8.self), "second value")
        XCTAssertNotNil(try reader.stat(fd).times, "the times were stored with the contents")
    }

    func testABufferedNewFileIsVisibleInItsCallAndStoredAtItsWriteBack() throws {
        let (call, root) = try session()
        let fd = try call.openAt(root, path: "fresh.txt", openFlags: [.create, .truncate], flags: rw)
        _ = try call.write(fd, Array("abc".utf8), offset: 0)
        // Read-your-writes inside the call: listed, stat-able, readable by path.
        XCTAssertEqual(try XCTUnwrap(call.fileSystem).listDirectory(at: .root).map(\.name), ["fresh.txt"])
        XCTAssertEqual(try call.statAt(root, path: "fresh.txt").size, 3)
        let again = try call.openAt(root, path: "fresh.txt", openFlags: [], flags: .read)
        XCTAssertEqual(try call.read(again, length: 10, offset: 0).bytes, Array("abc".utf8))
        // Another call does not see it before the write-back (nothing of it is stored yet) ...
        let (other, otherRoot) = try session()
        assertCode(.noEntry, try other.statAt(otherRoot, path: "fresh.txt"))
        // ... and sees it, contents and all, once `sync` returned.
        try call.sync(fd)
        XCTAssertEqual(try other.statAt(otherRoot, path: "fresh.txt").size, 3)
        try call.finish()
    }

    func testAcknowledgedWritesAreInTheFileWithoutACleanClose() throws {
        try store("survivor", "acknowledged")
        // A second connection on the same file, as a restarted process would open it; the
        // first is never closed or checkpointed (what a kill -9 leaves).
        let reopened = try SQLiteBackend(path: directory + "/store.sqlite")
        defer { reopened.close() }
        let kv = try SealedKV(appName: "app", appKey: key, backend: reopened)
        XCTAssertEqual(try kv.get("fs:/survivor").map { String(decoding: $0, as: UTF8.self) }, "acknowledged")
    }

    func testTheEntryQuotaStillRefusesABufferedCreationAtOpen() throws {
        try store("existing", "x")                              // 2 entries: the file and its times
        var limits = SealedKVLimits.default
        limits.maxEntries = 3
        let (call, root) = try session(limits: limits)
        let refused = try commits {
            assertCode(.quota, try call.openAt(root, path: "one-too-many", openFlags: [.create, .truncate], flags: rw))
        }
        XCTAssertEqual(refused, 0)
        // A rewrite of an existing file takes no new entry and still fits.
        let fd = try call.openAt(root, path: "existing", openFlags: [.create, .truncate], flags: rw)
        _ = try call.write(fd, [1], offset: 0)
        try call.finish()
    }

    func testTheByteQuotaStillRefusesABufferedCreationAtOpen() throws {
        try store("existing", "x")
        let kv = try SealedKV(appName: "app", appKey: key, backend: backend)
        let used = try kv.usage().bytes
        var limits = SealedKVLimits.default
        limits.maxStoredBytes = used + 50                      // less than an empty file's two sealed rows
        let (call, root) = try session(limits: limits)
        assertCode(.quota, try call.openAt(root, path: "no-room", openFlags: [.create, .truncate], flags: rw))
        try call.finish()
        XCTAssertEqual(try kv.count(), 2)
    }

    func testAnUnlinkedBufferedFileIsNeverStored() throws {
        let (call, root) = try session()
        let fd = try call.openAt(root, path: "gone.txt", openFlags: [.create, .truncate], flags: rw)
        _ = try call.write(fd, Array("data".utf8), offset: 0)
        try call.unlinkFileAt(root, path: "gone.txt")
        try call.dropDescriptor(fd)
        try call.finish()
        let kv = try SealedKV(appName: "app", appKey: key, backend: backend)
        XCTAssertNil(try kv.get("fs:/gone.txt"))
        XCTAssertEqual(try kv.count(), 0)
    }
}
