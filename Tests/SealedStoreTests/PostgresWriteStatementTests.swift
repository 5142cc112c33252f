import Foundation
import NIOCore
import PostgresNIO
import XCTest
@testable import SealedStore

/// The commit statement's variants (one part per kind of write the batch holds), against the
/// real private PostgreSQL: each applies, and revokes, exactly what the statement with every
/// part applies to the same rows, and has only the parts its batch needs.
final class PostgresWriteStatementTests: XCTestCase {
    private let seeded: [(name: String, value: String)] = [("a", "a0"), ("b", "b0"), ("c", "c0")]

    /// The batches: each kind alone and every mix, over rows seeded or not (an insert over an
    /// existing row leaves it; a delete of a missing row does nothing; an insert after a delete
    /// in the same batch writes), with the rows that applying their writes in order leaves.
    private let batches: [(label: String, writes: [StorageWrite], expected: String)] = {
        func put(_ n: String, _ v: String) -> StorageWrite { .put(name: Array(n.utf8), sealedName: Array("s\(n)".utf8), value: Array(v.utf8)) }
        func insert(_ n: String, _ v: String) -> StorageWrite { .insert(name: Array(n.utf8), sealedName: Array("s\(n)".utf8), value: Array(v.utf8)) }
        func delete(_ n: String) -> StorageWrite { .delete(name: Array(n.utf8)) }
        return [
            ("puts", [put("a", "a1"), put("x", "x1")], "a=a1 b=b0 c=c0 x=x1"),
            ("deletes", [delete("a"), delete("missing")], "b=b0 c=c0"),
            ("inserts", [insert("a", "a2"), insert("y", "y1")], "a=a0 b=b0 c=c0 y=y1"),
            ("deletes and puts", [delete("b"), put("a", "a3"), put("z", "z1")], "a=a3 c=c0 z=z1"),
            ("inserts and puts", [insert("b", "b2"), insert("w", "w1"), put("c", "c3")], "a=a0 b=b0 c=c3 w=w1"),
            ("deletes and inserts", [delete("a"), insert("c", "c4"), insert("v", "v1")], "b=b0 c=c0 v=v1"),
            ("all three", [delete("a"), put("b", "b5"), insert("c", "c5"), insert("u", "u1"), delete("c")], "b=b5 u=u1"),
            ("a delete then an insert of one row", [delete("a"), insert("a", "a6")], "a=a6 b=b0 c=c0"),
        ]
    }()

    func testEachVariantAppliesAndRevokesWhatTheFullStatementDoes() throws {
        _ = try postgresBackend().close()  // creates the schema
        let pool = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url()))
        defer { pool.close() }
        // The pipelined form (lock statement, then the statement) goes out on the commit's own
        // client, as the store sends it.
        let wire = try PostgresWireConnection.connect(PostgresURL(parsing: PrivatePostgres.url()), settings: pool.startupSettings,
                                                      timeout: 10_000_000_000)
        defer { wire.close() }
        let writer = randomBytes(16), holder = randomBytes(16)
        for (label, writes, expected) in batches {
            for revocation in PostgresWriteStatement.Revocation.allCases {
                let revoking = revocation.revokes
                var outcomes: [(rows: [String], revoked: [String], sql: String)] = []
                for everyPart in [false, true] {
                    let namespace = randomBytes(32)
                    try seed(pool, namespace, holder: holder)
                    let statement = PostgresWriteStatement([.init(namespace: namespace, writes: writes)],
                                                           revoking: revoking ? (writer, PostgresReadLeases.channel) : nil,
                                                           lockingAhead: revocation == .afterLocking, everyPart: everyPart)
                    XCTAssertEqual(statement.pipeline.count, revocation == .afterLocking ? 2 : 1)
                    let revoked: [ReadLeaseMessage.Lease]
                    if revocation == .afterLocking {
                        revoked = try PostgresReadLeaseSQL.revokedLeases(try wire.run(statement.pipeline, timeout: 10_000_000_000,
                                                                                      operation: "commit"))
                    } else {
                        revoked = try PostgresReadLeaseSQL.revokedLeases(try pool.withConnection("commit") { connection in
                            try pool.answerPrepared(connection, statement.sql, statement.binds, operation: "commit")
                        })
                    }
                    let holders = revoked.map { lease in
                        XCTAssertEqual(lease.namespace, namespace)
                        return "\(lease.node == holder) \(lease.id)"
                    }
                    outcomes.append((try rows(pool, namespace), holders, statement.sql))
                    XCTAssertEqual(try revokedRows(pool, namespace), revoking ? 1 : 0, "\(label), \(revocation)")
                }
                let (variant, full) = (outcomes[0], outcomes[1])
                XCTAssertEqual(variant.rows, full.rows, "\(label), \(revocation)")
                XCTAssertEqual(variant.revoked, full.revoked, "\(label), \(revocation)")
                XCTAssertEqual(variant.revoked, revoking ? ["true 1"] : [], "\(label), \(revocation)")
                XCTAssertEqual(variant.rows.joined(separator: " "), expected, "\(label), \(revocation)")
                // Only the parts the batch needs.
                let kinds = Set(PostgresWriteStatement.finalWrites([.init(namespace: [], writes: writes)]).map { _, write -> String in
                    switch write {
                    case .put: "UPDATE SET"
                    case .insert: "DO NOTHING"
                    case .delete: "DELETE"
                    }
                })
                for marker in ["UPDATE SET", "DO NOTHING", "DELETE"] {
                    XCTAssertEqual(variant.sql.contains(marker), kinds.contains(marker),
                                   "\(label): \(variant.sql)")
                    XCTAssertTrue(full.sql.contains(marker))
                }
            }
        }
    }

    /// A revocation of several namespaces (one repeated, one shorter than a lock key) holds
    /// each one's lease lock, shared, until its transaction ends: a grant on any of them waits
    /// (here: times out) while it is open, a grant on another namespace does not; and a grant
    /// in progress on one of them makes the revocation wait. Grants derive the key in
    /// `enclaveos_read_lease_lock`, the revocation inline: they meet only if both agree.
    func testARevocationOfSeveralNamespacesLocksEachOfThem() throws {
        _ = try postgresBackend().close()  // creates the schema
        let pool = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url()))
        defer { pool.close() }
        let namespaces = [randomBytes(32), randomBytes(32), [0x81, 2, 3], randomBytes(32)]
        let (writer, other) = (try pool.dedicatedConnection("writer"), try pool.dedicatedConnection("grant"))
        defer { _ = try? writer.close().wait(); _ = try? other.close().wait() }
        _ = try pool.query(other, "SET lock_timeout = '300ms'", operation: "lock timeout")
        _ = try pool.query(writer, "SET lock_timeout = '300ms'", operation: "lock timeout")
        _ = try pool.query(writer, "BEGIN", operation: "begin")
        _ = try pool.query(writer, PostgresReadLeaseSQL.revokeSQL, revocation(namespaces + [namespaces[1]]), operation: "revoke")
        for namespace in namespaces {
            XCTAssertEqual(try lockTimedOut { try pool.query(other, PostgresReadLeaseSQL.acquire, grant(namespace), operation: "grant") },
                           true, "a grant on \(namespace) did not wait for the open revocation")
        }
        _ = try pool.query(other, PostgresReadLeaseSQL.acquire, grant(randomBytes(32)), operation: "grant elsewhere")
        _ = try pool.query(writer, "COMMIT", operation: "commit")
        _ = try pool.query(other, PostgresReadLeaseSQL.acquire, grant(namespaces[2]), operation: "grant after the commit")
        // The other order: a grant holds its lock; the revocation waits for it.
        _ = try pool.query(other, "BEGIN", operation: "begin")
        _ = try pool.query(other, PostgresReadLeaseSQL.acquire, grant(namespaces[3]), operation: "grant, uncommitted")
        XCTAssertEqual(try lockTimedOut { try pool.query(writer, PostgresReadLeaseSQL.revokeSQL, revocation(namespaces), operation: "revoke") },
                       true, "the revocation did not wait for the grant in progress")
        _ = try pool.query(other, "COMMIT", operation: "commit")
        let revoked = try PostgresReadLeaseSQL.revokedLeases(Array(try pool.query(writer, PostgresReadLeaseSQL.revokeSQL, revocation(namespaces),
                                                                                   operation: "revoke after the grant")))
        XCTAssertEqual(Set(revoked.map(\.namespace)), [namespaces[2], namespaces[3]])
    }

    /// The pipelined commit takes its lease locks itself (`PostgresReadLeaseSQL.lockSQL`), with
    /// keys derived here, not in the database: they must be exactly the locks the database's
    /// lock function takes for the same namespaces (short ones, high bits and repeats too),
    /// or a grant and a commit would not wait for each other. Compared in `pg_locks`.
    func testTheLockStatementTakesTheLocksTheLockFunctionTakes() throws {
        _ = try postgresBackend().close()  // creates the schema
        let pool = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url()))
        defer { pool.close() }
        let namespaces = (0..<12).map { _ in randomBytes(32) }
            + [[], [0x81, 2, 3], [UInt8](repeating: 0xff, count: 8), [0x80, 0, 0, 0, 0x80, 0, 0, 0, 9], [0x7f, 0xff, 0xff, 0xff]]
        let keys = PostgresReadLeaseSQL.lockKeys(namespaces + [namespaces[3]])
        XCTAssertEqual(keys.high.count, namespaces.count, "repeated namespaces give one key")
        XCTAssertTrue(zip(keys.high, keys.low).map { [$0, $1] }.elementsEqual(zip(keys.high, keys.low).map { [$0, $1] }
            .sorted { $0.lexicographicallyPrecedes($1) }), "keys are taken in ascending order")
        // The statement as the commit sends it (over the wire, our `int4[]` encoding), with the
        // locks it holds read in the same transaction; the function's on a second session.
        let wire = try PostgresWireConnection.connect(PostgresURL(parsing: PrivatePostgres.url()),
                                                      settings: pool.startupSettings(pipelining: 2), timeout: 10_000_000_000)
        defer { wire.close() }
        let heldLocks = """
            SELECT classid::int8, objid::int8 FROM pg_locks
            WHERE locktype = 'advisory' AND objsubid = 2 AND mode = 'ShareLock' AND pid = pg_backend_pid()
            """
        let byStatement = try wire.run([(PostgresReadLeaseSQL.lockSQL, [.int4Array(keys.high), .int4Array(keys.low)]), (heldLocks, [])],
                                       timeout: 10_000_000_000, operation: "lock")
        let function = try pool.dedicatedConnection("lock function")
        defer { _ = try? function.close().wait() }
        _ = try pool.query(function, "BEGIN", operation: "begin")
        for namespace in namespaces {
            var lock = PostgresBindings()
            lock.append(ByteBuffer(bytes: namespace))
            lock.append(false)
            _ = try pool.query(function, "SELECT enclaveos_read_lease_lock($1, $2)", lock, operation: "lock in the function")
        }
        func int32(_ cell: [UInt8]??) -> Int32 {
            Int32(truncatingIfNeeded: (cell ?? nil)?.reduce(Int64(0)) { $0 << 8 | Int64($1) } ?? -1)
        }
        let taken = [
            Set(byStatement.map { [int32($0[0]), int32($0[1])] }),
            Set(try pool.query(function, heldLocks, operation: "locks held").map { row in
                [Int32(truncatingIfNeeded: try row.int64(0)), Int32(truncatingIfNeeded: try row.int64(1))]
            }),
        ]
        XCTAssertEqual(taken[0].count, namespaces.count)
        XCTAssertEqual(taken[0], taken[1])
        XCTAssertEqual(taken[0], Set(zip(keys.high, keys.low).map { [$0, $1] }))
        _ = try pool.query(function, "ROLLBACK", operation: "roll back")
    }

    private func revocation(_ namespaces: [[UInt8]]) -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(namespaces.map { ByteBuffer(bytes: $0) })
        bindings.append(ByteBuffer(bytes: randomBytes(16)))
        bindings.append(PostgresReadLeases.channel)
        return bindings
    }

    private func grant(_ namespace: [UInt8]) -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(ByteBuffer(bytes: namespace))
        bindings.append(ByteBuffer(bytes: randomBytes(16)))
        bindings.append(Int64(1))
        bindings.append(Int64(60_000))
        return bindings
    }

    /// Whether `body` failed with PostgreSQL's lock timeout (55P03); any other error is thrown.
    private func lockTimedOut(_ body: () throws -> some Any) throws -> Bool {
        do {
            _ = try body()
            return false
        } catch {
            // `query` names the driver's error in a `backend` error, SQLSTATE included.
            guard PostgresPool.describe(error).contains("SQLSTATE 55P03") else { throw error }
            return true
        }
    }

    /// Every variant's parameters are numbered 1…n in the text, as many as it binds.
    func testEachVariantNumbersItsParametersInOrder() throws {
        for revocation in PostgresWriteStatement.Revocation.allCases {
            for mask in 1..<8 {
                let parts = PostgresWriteStatement.Part.allCases.filter { mask & (1 << $0.rawValue) != 0 }
                let sql = PostgresWriteStatement.sql(parts, revocation: revocation)
                let count = parts.map(\.parameterCount).reduce(revocation.revokes ? 3 : 0, +)
                let numbers = sql.split(separator: "$").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
                // Inline, the revocation's channel ($3) is used last, in the final SELECT.
                XCTAssertEqual(revocation == .afterLocking ? numbers.filter { $0 != 3 } : numbers,
                               Array(1...count).filter { revocation != .afterLocking || $0 != 3 }, sql)
                XCTAssertEqual(Set(numbers), Set(1...count), sql)
                XCTAssertEqual(sql.contains("enclaveos_revoke_read_leases"), revocation == .inFunction, sql)
            }
        }
    }

    /// The statement's `bytea[]` parameters, built directly, are the bytes PostgresNIO encodes
    /// for the same cells (empty arrays, empty cells and all).
    func testByteaArraysMatchPostgresNIOsEncoding() throws {
        for cells in [[], [[]], [[1, 2, 3]], [[], [0xff], randomBytes(300), randomBytes(32)]] as [[[UInt8]]] {
            var built = PostgresBinaryArray(capacity: 7)
            for cell in cells { built.append(cell) }
            let expected = try PostgresPreparedStatements.byteArrays(cells.map { ByteBuffer(bytes: $0) })
            XCTAssertEqual(built.finish(), PostgresBinaryParameter(expected), "\(cells.count) cells")
        }
    }

    /// The lock statement's `int4[]` parameters, built directly, are the bytes PostgresNIO
    /// encodes for the same values (empty arrays and extremes too).
    func testInt4ArraysMatchPostgresNIOsEncoding() throws {
        for values in [[], [0], [1, -1, Int32.min, Int32.max, 0x0102_0304]] as [[Int32]] {
            var buffer = ByteBuffer()
            try values.encode(into: &buffer, context: .default)
            let expected = PostgresData(type: .int4Array, formatCode: .binary, value: buffer)
            XCTAssertEqual(PostgresBinaryParameter.int4Array(values), PostgresBinaryParameter(expected), "\(values)")
        }
    }

    /// The seeded rows of `namespace`, and a live lease on it of node `holder` (grant 1).
    private func seed(_ pool: PostgresPool, _ namespace: [UInt8], holder: [UInt8]) throws {
        let writes = seeded.map { StorageWrite.put(name: Array($0.name.utf8), sealedName: Array("s\($0.name)".utf8), value: Array($0.value.utf8)) }
        let statement = PostgresWriteStatement([.init(namespace: namespace, writes: writes)])
        _ = try pool.withConnection("seed") { try pool.answerPrepared($0, statement.sql, statement.binds, operation: "seed") }
        try PostgresReadLeaseSQL.run(pool, "grant", PostgresReadLeaseSQL.acquire, [namespace, holder], id: 1, milliseconds: 60_000)
    }

    /// Lease rows on `namespace` marked revoked.
    private func revokedRows(_ pool: PostgresPool, _ namespace: [UInt8]) throws -> Int {
        try PostgresReadLeaseSQL.run(pool, "revoked rows", "SELECT 1 FROM enclaveos_read_leases WHERE namespace = $1 AND revoked",
                                     [namespace]).count
    }

    /// `name=value` of each row of `namespace`, sorted, with its sealed name checked.
    private func rows(_ pool: PostgresPool, _ namespace: [UInt8]) throws -> [String] {
        try PostgresReadLeaseSQL.run(pool, "read back", "SELECT name, sealed_name, value FROM enclaveos_kv WHERE ns = $1 ORDER BY name",
                                     [namespace]).map { row in
            let name = String(decoding: try row.bytes(0), as: UTF8.self)
            XCTAssertEqual(try row.bytes(1), Array("s\(name)".utf8))
            return "\(name)=\(String(decoding: try row.bytes(2), as: UTF8.self))"
        }
    }

    private func randomBytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }
}
