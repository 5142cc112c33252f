import Foundation
import PostgresNIO
import XCTest
@testable import SealedStore

/// On the real private PostgreSQL: a commit whose outcome is unknown to its writer (it gave up
/// waiting) may still land later, and a commit never revokes its own node's read lease. The node
/// must not cache what it reads meanwhile, or it would serve the value from before that write for
/// as long as it renews its lease.
final class PostgresUnknownOutcomeTests: XCTestCase {
    /// This node's wait for one statement; the other connection holds the row lock longer.
    private static let timeout: TimeAmount = .milliseconds(500)
    private static let lockSeconds = 2

    func testANodeDoesNotCacheWhatItReadsBeforeItsOwnLateCommitLands() throws {
        var url = try PostgresURL(parsing: PrivatePostgres.url())
        url.readCache = true
        var timing = PostgresReadLeases.Timing()
        // Long enough that the lease would never lapse during the test (a lapse drops the cache).
        timing.duration = 60_000_000_000
        // The database lets the write run on after this node gave up, so it lands late.
        let backend = try PostgresBackend(url: url, operationTimeout: Self.timeout,
                                          serverStatementTimeout: .seconds(Int64(Self.lockSeconds) + 20), leaseTiming: timing)
        defer { backend.close() }
        try waitUntil("the node listens") { backend.leases.snapshot.listening }
        let kv = try SealedKV(appName: "late-\(UUID().uuidString.prefix(8))", appKey: .generate(), backend: backend)
        let before = [UInt8](repeating: 1, count: 100), after = [UInt8](repeating: 2, count: 6000)
        try kv.put("k", before)
        XCTAssertEqual(try kv.get("k"), before)
        XCTAssertEqual(backend.leases.snapshot.leases, 1, "the node took no lease (the test would prove nothing)")
        let namespace = try kv.namespaceID()

        let other = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url()))
        defer { other.close() }
        let lockReleased = try PostgresRowLock.hold(namespace, seconds: Self.lockSeconds, using: other)

        XCTAssertThrowsError(try kv.put("k", after)) { error in
            XCTAssertTrue("\(error)".contains("timed out"), "\(error)")
        }
        // The write waits behind the lock: the database still holds the old value, and reads see it.
        XCTAssertEqual(try kv.get("k")?.first, 1)
        XCTAssertEqual(lockReleased.wait(timeout: .now() + .seconds(Self.lockSeconds + 10)), .success)
        try waitUntil("the late write committed") { try backend.usage(namespace: namespace).bytes > 6000 }
        // Served from a cache kept across the late commit, this would still be the old value.
        XCTAssertEqual(try kv.get("k")?.count, after.count, "the old value was served after the late write landed")
        XCTAssertEqual(try kv.valueSize("k"), after.count)
    }
}
