import Foundation
import PostgresNIO
import Synchronization
import XCTest
@testable import SealedStore

/// Polls `condition` until it holds; fails the test (throws) after `timeout` seconds.
func waitUntil(_ what: String, timeout: TimeInterval = 10, _ condition: () throws -> Bool) throws {
    let end = Date().addingTimeInterval(timeout)
    while try !condition() {
        guard Date() < end else { throw FixtureFailure("\(what): not within \(timeout) s") }
        Thread.sleep(forTimeInterval: 0.01)
    }
}

/// Another server's transaction holding the row locks of every row of one namespace for a while
/// (on its own connection), so that a write of this server waits behind it.
enum PostgresRowLock {
    /// Locks `namespace`'s rows for `seconds` from a background thread, and returns once the
    /// lock is held; the semaphore is signalled when the lock is released.
    static func hold(_ namespace: [UInt8], seconds: Int, using pool: PostgresPool) throws -> DispatchSemaphore {
        let marker = "row-lock-\(UUID().uuidString)"
        let released = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var bindings = PostgresBindings()
            bindings.append(ByteBuffer(bytes: namespace))
            // count(*) reads (and locks) every row before pg_sleep runs in the projection.
            _ = try? pool.withConnection("hold a row lock") { connection in
                try pool.query(connection, """
                    /* \(marker) */ WITH locked AS (SELECT name FROM enclaveos_kv WHERE ns = $1 FOR UPDATE)
                    SELECT count(*), pg_sleep(\(seconds)) FROM locked
                    """, bindings, operation: "hold a row lock")
            }
            released.signal()
        }
        try waitUntil("the other server holds the row lock") {
            try pool.withConnection("count") { connection in
                try pool.query(connection, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE '%\(marker)%'",
                               operation: "count").first?.int64(0) ?? 0
            } == 1
        }
        return released
    }
}

/// `body` run on another thread: a test checks whether it has finished (it waits for a lock, say)
/// and then what it returned or threw.
final class BackgroundCall<T: Sendable>: Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let outcome = Mutex<Result<T, any Error>?>(nil)

    init(_ body: @escaping @Sendable () throws -> T) {
        DispatchQueue.global().async { [self] in
            let result = Result { try body() }
            outcome.withLock { $0 = result }
            finished.signal()
        }
    }

    /// Waits up to `seconds` for the call to end: `.success` if it did, `.timedOut` if not.
    func wait(seconds: Double) -> DispatchTimeoutResult {
        finished.wait(timeout: .now() + seconds)
    }

    /// What the call returned (rethrows what it threw); fails if it has not ended.
    func value() throws -> T {
        try XCTUnwrap(outcome.withLock { $0 }, "the background call has not ended").get()
    }
}

/// Waits until some transaction waits for a lease lock (an advisory lock; nothing else in the
/// test database takes them).
func waitUntilALeaseLockIsAwaited(_ pool: PostgresPool, _ what: String) throws {
    try waitUntil(what) {
        try !PostgresReadLeaseSQL.run(pool, "waiting", "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted", []).isEmpty
    }
}
