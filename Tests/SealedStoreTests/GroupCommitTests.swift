import Foundation
import XCTest
@testable import SealedStore

/// Group commit on the SQLite backend: concurrent writers share commits (fewer fsyncs than
/// writes), every acknowledged write is durable (read back after reopening), and one writer's
/// failure rolls back only its own changes.
final class GroupCommitTests: XCTestCase {
    func testConcurrentWritersShareCommitsAndEveryWriteIsDurable() throws {
        let dir = try TempDirectory()
        let path = dir.file("s.sqlite")
        let backend = try SQLiteBackend(path: path)  // synchronous=FULL: one fsync per commit
        let key = AppKey.generate()
        let kv = try SealedKV(appName: "app", appKey: key, backend: backend)
        let writers = 8, perWriter = 40
        // Threads of their own: concurrentPerform would run only as many writers as cores.
        onThreads(writers) { writer in
            for index in 0..<perWriter {
                do {
                    try kv.put("w\(writer)-\(index)", bytes("value \(writer) \(index)"))
                } catch {
                    XCTFail("writer \(writer): \(error)")
                }
            }
        }
        let (commits, writes) = backend.commitStatistics
        XCTAssertEqual(writes, writers * perWriter)
        XCTAssertLessThan(commits, writes, "no commit was shared among \(writers) concurrent writers")
        backend.close()
        let reopened = try SealedKV(appName: "app", appKey: key, backend: try SQLiteBackend(path: path))
        XCTAssertEqual(try reopened.count(), writers * perWriter)
        for writer in 0..<writers {
            XCTAssertEqual(try reopened.get("w\(writer)-\(perWriter - 1)"), bytes("value \(writer) \(perWriter - 1)"))
        }
    }

    /// The quota check must not hold its lock across the commit: writers of one app with a
    /// quota still share commits, concurrent writers together cannot pass the quota, and the
    /// usage counted afterwards is what the store holds.
    func testWritersOfAnAppWithAQuotaShareCommitsAndStayWithinIt() throws {
        let dir = try TempDirectory()
        let backend = try SQLiteBackend(path: dir.file("q.sqlite"))
        let limits = SealedKVLimits(maxKeyBytes: 4096, maxValueBytes: 1 << 20, maxBatchWrites: 1024,
                                    maxStoredBytes: .max, maxEntries: 100)
        let kv = try SealedKV(appName: "app", appKey: AppKey.generate(), backend: backend, limits: limits)
        let writers = 8, perWriter = 20
        let refused = SharedValue(0)
        onThreads(writers) { writer in
            for index in 0..<perWriter {
                do {
                    // Each writer rewrites its own row (exact sizes) and adds new ones (the quota).
                    try kv.put("own-\(writer)", bytes(String(repeating: "x", count: index * 10)))
                    try kv.put("new-\(writer)-\(index)", bytes("value"))
                } catch SealedStoreError.quotaExceeded {
                    refused.mutate { $0 += 1 }
                } catch {
                    XCTFail("writer \(writer): \(error)")
                }
            }
        }
        let (commits, writes) = backend.commitStatistics
        XCTAssertLessThan(commits, writes, "no commit was shared among \(writers) writers of an app with a quota")
        XCTAssertEqual(try kv.count(), 100, "the quota of 100 entries is filled, never passed")
        XCTAssertGreaterThanOrEqual(refused.value, writers * (perWriter + 1) - 100, "every new entry past the quota was refused")
        XCTAssertEqual(try kv.usage(), try backend.usage(namespace: kv.namespaceID()), "the counted usage is what is stored")
    }

    func testAFailingJobRollsBackOnlyItself() throws {
        let dir = try TempDirectory()
        let database = try SQLiteDatabase(path: dir.file("g.sqlite"))
        try database.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        let commit = GroupCommit(connection: database, transactions: .init(
            begin: { try $0.execute("BEGIN IMMEDIATE") },
            commit: { try $0.execute("COMMIT") },
            rollback: { try? $0.execute("ROLLBACK") },
            savepoint: { try $0.execute("SAVEPOINT job") },
            releaseSavepoint: { try $0.execute("RELEASE job") },
            rollbackToSavepoint: { try $0.execute("ROLLBACK TO job") }))
        struct Refused: Error {}
        let failures = SharedValue(0)
        onThreads(16) { index in
            do {
                try commit.write { connection in
                    try connection.query("INSERT INTO t (k) VALUES (?1)", [.text("row \(index)")])
                    if index.isMultiple(of: 4) { throw Refused() }
                }
            } catch is Refused {
                failures.mutate { $0 += 1 }
            } catch {
                XCTFail("\(error)")
            }
        }
        XCTAssertEqual(failures.value, 4)
        var rows: [String] = []
        try database.query("SELECT k FROM t ORDER BY k", []) { row in
            rows.append(row.text(0) ?? "")
            return true
        }
        XCTAssertEqual(Set(rows), Set((0..<16).filter { !$0.isMultiple(of: 4) }.map { "row \($0)" }))
    }
}

/// Runs `body(0..<count)` on `count` threads at once and waits for all.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let done = DispatchGroup()
    for index in 0..<count {
        done.enter()
        Thread {
            body(index)
            done.leave()
        }.start()
    }
    done.wait()
}
