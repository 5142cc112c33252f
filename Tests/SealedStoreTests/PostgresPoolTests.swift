import Foundation
import XCTest
@testable import SealedStore

/// The connection pool against the real private PostgreSQL: a connection whose statement timed
/// out is closed and never handed out again, and the pool opens a replacement within its cap.
final class PostgresPoolTests: XCTestCase {
    /// Longer than the pool's timeout below, so the statement is still running when it expires.
    private static let sleepPastTheTimeout = "SELECT pg_sleep(1.5)"

    private func pool(size: Int) throws -> PostgresPool {
        try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url() + "?pool_size=\(size)"),
                         operationTimeout: .milliseconds(300))
    }

    private static func selectOne(_ pool: PostgresPool) throws -> Int64? {
        try pool.withConnection("select one") { connection in
            try pool.query(connection, "SELECT 1::bigint", operation: "select one").first?.int64(0)
        }
    }

    /// After a statement times out, the next operations succeed at once on a healthy connection
    /// (before, the timed-out one could be checked back in while it was closing, and the next
    /// operation got it and failed), and a pool of one connection opens the replacement.
    func testAConnectionWhoseStatementTimedOutIsNeverHandedOutAgain() throws {
        let pool = try pool(size: 1)
        defer { pool.close() }
        XCTAssertEqual(try Self.selectOne(pool), 1)
        for round in 0..<3 {
            XCTAssertThrowsError(try pool.withConnection("sleep") { connection in
                try pool.query(connection, Self.sleepPastTheTimeout, operation: "sleep past the timeout")
            }) { error in
                XCTAssertTrue("\(error)".contains("timed out after 0.3 s"), "round \(round): \(error)")
            }
            for call in 0..<5 {
                XCTAssertNoThrow(XCTAssertEqual(try Self.selectOne(pool), 1), "round \(round), call \(call)")
                XCTAssertLessThanOrEqual(pool.openConnections, 1, "round \(round), call \(call)")
            }
        }
    }

    /// A statement cannot outlive its bound in the database: the pool's connections start with
    /// `statement_timeout`, so the database cancels a statement the caller would have given up on
    /// (which could otherwise still commit later, unseen).
    func testTheDatabaseCancelsAStatementPastTheServerTimeout() throws {
        let pool = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url()), operationTimeout: .seconds(30),
                                    serverStatementTimeout: .milliseconds(300))
        defer { pool.close() }
        let started = Date()
        XCTAssertThrowsError(try pool.withConnection("sleep") { connection in
            try pool.query(connection, "SELECT pg_sleep(5)", operation: "sleep past the server timeout")
        }) { error in
            XCTAssertTrue("\(error)".contains("57014"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 4, "the database did not cancel the statement")
        XCTAssertEqual(try Self.selectOne(pool), 1)
    }

    /// A store whose connections do not run with the statement timeout it asked for (as behind
    /// a pooler that drops startup parameters; here the only connection's setting is changed
    /// after connect) is refused, naming the setting; with the setting in force it opens.
    func testAConnectionWithoutTheStatementTimeoutIsRefused() throws {
        let pool = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url() + "?pool_size=1"))
        defer { pool.close() }
        XCTAssertNoThrow(try PostgresSchema.requireStatementTimeout(pool))
        _ = try pool.withConnection("drop the timeout") { connection in
            try pool.query(connection, "SET statement_timeout = 0", operation: "drop the timeout")
        }
        XCTAssertThrowsError(try PostgresSchema.requireStatementTimeout(pool)) { error in
            XCTAssertTrue("\(error)".contains("statement_timeout = 0 ms, not the 60000 ms"), "\(error)")
        }
    }

    /// Several threads share a pool of two while statements time out: every other operation
    /// succeeds, and the pool never has more than two connections open (counting those closing).
    func testTimeoutsUnderConcurrentUseKeepThePoolWithinItsCap() throws {
        let pool = try pool(size: 2)
        defer { pool.close() }
        let failures = SharedValue<[String]>([])
        let mostOpen = SharedValue(0)
        onThreads(4) { worker in
            for round in 0..<6 {
                do {
                    if worker == 0, round.isMultiple(of: 2) {
                        _ = try? pool.withConnection("sleep") { connection in
                            try pool.query(connection, Self.sleepPastTheTimeout, operation: "sleep past the timeout")
                        }
                    } else {
                        _ = try Self.selectOne(pool)
                    }
                } catch {
                    failures.mutate { $0.append("worker \(worker), round \(round): \(error)") }
                }
                let open = pool.openConnections
                mostOpen.mutate { $0 = max($0, open) }
            }
        }
        XCTAssertEqual(failures.value, [])
        XCTAssertLessThanOrEqual(mostOpen.value, 2)
        XCTAssertGreaterThan(mostOpen.value, 0)
    }
}
