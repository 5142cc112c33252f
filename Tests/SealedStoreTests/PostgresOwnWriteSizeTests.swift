import Foundation
import Synchronization
import XCTest
@testable import SealedStore

/// On the real private PostgreSQL: a node that holds a namespace's read lease knows the size of
/// what it last wrote, so a truncating rewrite (size, then write: what a `kv-store` of a stored
/// file does) is one statement; and what it knows never outlives another node's later write.
final class PostgresOwnWriteSizeTests: XCTestCase {
    private let appKey = AppKey.generate()

    private func node(leaseSeconds: UInt64 = 60) throws -> PostgresBackend {
        var url = try PostgresURL(parsing: PrivatePostgres.url())
        url.readCache = true
        var timing = PostgresReadLeases.Timing()
        timing.duration = leaseSeconds * 1_000_000_000
        let backend = try PostgresBackend(url: url, operationTimeout: .seconds(30), leaseTiming: timing)
        try waitUntil("the node listens") { backend.leases.snapshot.listening }
        return backend
    }

    private func appName() -> String { "app-\(UUID().uuidString.prefix(8))" }

    private func value(_ count: Int) -> [UInt8] { [UInt8](repeating: 0x5a, count: count) }

    func testATruncatingRewriteUnderTheLeaseMakesNoReadStatement() throws {
        let a = try node()
        defer { a.close() }
        let kv = try SealedKV(appName: appName(), appKey: appKey, backend: a)
        try kv.put("fs:/f", value(10))
        // The first size is read (the lease is taken here); every later one is known.
        XCTAssertEqual(try kv.valueSize("fs:/f"), 10)
        for round in 1...6 {
            let (reads, statements) = (a.readStatistics.statements, a.statementCount)
            XCTAssertEqual(try kv.valueSize("fs:/f"), round == 1 ? 10 : 100 * (round - 1), "round \(round)")
            try kv.put("fs:/f", value(100 * round))
            XCTAssertEqual(a.readStatistics.statements - reads, 0, "round \(round): the size was read from the database")
            XCTAssertEqual(a.statementCount - statements, 1, "round \(round): the rewrite took more than its commit")
        }
        XCTAssertEqual(try kv.get("fs:/f"), value(600))
        // A delete is known too: the file is absent without asking.
        XCTAssertTrue(try kv.delete("fs:/f"))
        let reads = a.readStatistics.statements
        XCTAssertNil(try kv.valueSize("fs:/f"))
        XCTAssertEqual(a.readStatistics.statements - reads, 0)
    }

    /// Node A writes k (and knows its size), node B then writes k with another size: A's next
    /// size is B's (B's commit revoked A's lease, and waited for A to drop what it knew).
    func testAnotherNodesLaterWriteIsSeenBySize() throws {
        let (a, b) = (try node(), try node())
        defer { a.close(); b.close() }
        let name = appName()
        let (onA, onB) = (try SealedKV(appName: name, appKey: appKey, backend: a),
                          try SealedKV(appName: name, appKey: appKey, backend: b))
        for round in 1...4 {
            _ = try onA.valueSize("k")
            try onA.put("k", value(round))
            XCTAssertEqual(try onA.valueSize("k"), round)
            try onB.put("k", value(1000 + round))
            XCTAssertEqual(try onA.valueSize("k"), 1000 + round, "round \(round): A answered the size it wrote")
            try onB.delete("k")
            XCTAssertNil(try onA.valueSize("k"), "round \(round): A answered a size for a deleted row")
        }
    }

    /// A's write is in flight (committed, waiting for node C, which never answers, to let its
    /// lease expire) while B commits a later write of the row, revoking A's lease, and A takes a
    /// fresh lease by reading. When A's write ends, it must not record its size under the new
    /// lease: B's write came after it.
    func testAWriteSpanningALeaseRevokedAndGrantedAgainRecordsNothing() throws {
        let (a, b) = (try node(), try node())
        let c = try node(leaseSeconds: 4)
        var plain = try PostgresURL(parsing: PrivatePostgres.url())
        plain.readCache = false
        let observer = try PostgresBackend(url: plain)
        defer { a.close(); b.close(); c.close(); observer.close() }
        let name = appName()
        let (onA, onB, onC, database) = (try SealedKV(appName: name, appKey: appKey, backend: a),
                                         try SealedKV(appName: name, appKey: appKey, backend: b),
                                         try SealedKV(appName: name, appKey: appKey, backend: c),
                                         try SealedKV(appName: name, appKey: appKey, backend: observer))
        try onB.put("k", value(1))
        c.leases.ignoreInvalidations(true)
        XCTAssertEqual(try onC.valueSize("k"), 1)
        XCTAssertEqual(try onA.valueSize("k"), 1)
        let started = Date()
        let writes = DispatchGroup()
        let errors = Errors()
        let (fromA, fromB) = (value(200), value(3000))
        DispatchQueue.global().async(group: writes) {
            do { try onA.put("k", fromA) } catch { errors.add("A: \(error)") }
        }
        try waitUntil("A's write is committed") { try database.valueSize("k") == 200 }
        DispatchQueue.global().async(group: writes) {
            do { try onB.put("k", fromB) } catch { errors.add("B: \(error)") }
        }
        try waitUntil("B's write is committed") { try database.valueSize("k") == 3000 }
        try waitUntil("A dropped its lease") { a.leases.snapshot.leases == 0 }
        _ = try onA.get("other")
        XCTAssertEqual(a.leases.snapshot.leases, 1, "A took no fresh lease")
        XCTAssertLessThan(Date().timeIntervalSince(started), 3, "C's lease may have expired already: the test proves nothing")
        XCTAssertEqual(writes.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(errors.all, [])
        XCTAssertEqual(try onA.valueSize("k"), 3000, "A recorded its own, earlier, write's size under its new lease")
        XCTAssertEqual(try onA.get("k"), value(3000))
    }

    private final class Errors: Sendable {
        private let list = Mutex<[String]>([])
        func add(_ error: String) { list.withLock { $0.append(error) } }
        var all: [String] { list.withLock { $0 } }
    }

}
