import Foundation
import PostgresNIO
import XCTest
@testable import SealedStore

/// The storage quota on the real private PostgreSQL when a commit's outcome is unknown: the
/// writer gave up on it (a timeout), yet the database committed it afterwards.
final class PostgresStorageQuotaTests: XCTestCase {
    /// This server's statement timeout; the other server holds the row lock longer than this.
    private static let timeout: TimeAmount = .milliseconds(500)
    private static let lockSeconds = 2

    /// A write times out behind another server's row lock, and commits once the lock goes. The
    /// quota must not keep counting the app's usage from before it: the next write is checked
    /// against the usage measured again, and refused (before, it was admitted and the app ended
    /// above its quota).
    func testAfterACommitWithAnUnknownOutcomeTheQuotaMeasuresAgain() throws {
        // The database lets the statement run on after this server gave up (its own bound is
        // longer than the lock is held), so the write lands late.
        let backend = try PostgresBackend(url: PostgresURL(parsing: PrivatePostgres.url()), operationTimeout: Self.timeout,
                                          serverStatementTimeout: .seconds(Int64(Self.lockSeconds) + 20))
        defer { backend.close() }
        var limits = SealedKVLimits.default
        limits.maxStoredBytes = 10_000
        let kv = try SealedKV(appName: "quota-\(UUID().uuidString.prefix(8))", appKey: .generate(), backend: backend, limits: limits)
        try kv.put("a", [UInt8](repeating: 1, count: 100))
        let namespace = try kv.namespaceID()

        let other = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url()))
        defer { other.close() }
        let lockReleased = try PostgresRowLock.hold(namespace, seconds: Self.lockSeconds, using: other)

        XCTAssertThrowsError(try kv.put("a", [UInt8](repeating: 2, count: 6000))) { error in
            XCTAssertTrue("\(error)".contains("timed out"), "\(error)")
        }
        XCTAssertEqual(lockReleased.wait(timeout: .now() + .seconds(Self.lockSeconds + 10)), .success)
        // The database ran the write once the lock went, though this server had given up on it.
        try waitUntil("the timed-out write committed") {
            try backend.usage(namespace: namespace).bytes > 6000
        }

        XCTAssertThrowsError(try kv.put("c", [UInt8](repeating: 3, count: 5000)), "the quota counted the usage from before") { error in
            guard case SealedStoreError.quotaExceeded = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try kv.usage(), try backend.usage(namespace: namespace))
        XCTAssertLessThanOrEqual(try backend.usage(namespace: namespace).bytes, limits.maxStoredBytes)
    }
}
