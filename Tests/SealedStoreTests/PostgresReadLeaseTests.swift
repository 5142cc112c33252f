import Foundation
import NIOCore
import PostgresNIO
import Synchronization
import XCTest
@testable import SealedStore

/// The PostgreSQL read cache across nodes: two backends on the real private PostgreSQL are two
/// nodes. A write acknowledged through one is read through the other at once, although the
/// other serves repeated reads from its cache; a holder that never answers delays a writer by at
/// most a lease; a lost listener stops caching; leases are capped.
final class PostgresReadLeaseTests: XCTestCase {
    private let appKey = AppKey.generate()

    /// A node: a backend with the read cache on.
    private func node(_ timing: PostgresReadLeases.Timing = .init(), commitsThroughPool: Bool = false,
                      serverStatementTimeout: TimeAmount? = nil) throws -> PostgresBackend {
        var url = try PostgresURL(parsing: PrivatePostgres.url())
        url.readCache = true
        return try PostgresBackend(url: url, operationTimeout: .seconds(30), serverStatementTimeout: serverStatementTimeout,
                                   leaseTiming: timing, commitsThroughPool: commitsThroughPool)
    }

    private func leases(_ backend: PostgresBackend) throws -> PostgresReadLeases {
        backend.leases
    }

    private func appName() -> String { "app-\(UUID().uuidString.prefix(8))" }

    /// A new app as node `a` (the reader) and node `b` (the writer) see it.
    private func sharedApp(_ a: PostgresBackend, _ b: PostgresBackend) throws -> (reader: SealedKV, writer: SealedKV) {
        let name = appName()
        return (try SealedKV(appName: name, appKey: appKey, backend: a), try SealedKV(appName: name, appKey: appKey, backend: b))
    }

    /// Node A caches every key; node B overwrites them, concurrently on several keys; each
    /// overwrite, once B's write returned, is what A's very next read returns.
    func testAWriteThroughOneNodeIsReadThroughTheOtherAtOnce() throws {
        let (a, b) = (try node(), try node())
        defer { a.close(); b.close() }
        let (reader, writer) = try sharedApp(a, b)
        let cache = try XCTUnwrap(a.openedValueCache)
        let rounds = 60, keys = 4
        let failures = Mutex<[String]>([])
        let started = Date()
        DispatchQueue.concurrentPerform(iterations: keys) { index in
            let key = "fs:/k\(index)"
            do {
                try writer.put(key, Array("start".utf8))
                for round in 0..<rounds {
                    _ = try reader.get(key)
                    _ = try reader.get(key)
                    let value = Array("v\(round)".utf8)
                    try writer.put(key, value)
                    let seen = try reader.get(key)
                    if seen != value {
                        failures.withLock { $0.append("\(key) round \(round): read \(String(decoding: seen ?? [], as: UTF8.self))") }
                    }
                }
            } catch {
                failures.withLock { $0.append("\(key): \(error)") }
            }
        }
        XCTAssertEqual(failures.withLock { Array($0.prefix(5)) }, [], "of \(failures.withLock { $0.count }) stale reads")
        // The reader did serve from its cache (else this proves nothing), under a lease.
        XCTAssertGreaterThan(cache.statistics.hits, rounds * keys / 2)
        XCTAssertEqual(try leases(a).snapshot.leases, 1)
        // Writers were answered by releases, not by waiting for leases to expire.
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertLessThan(elapsed, Double(rounds) * 0.5, "writes waited for leases to expire instead of their release")
    }

    /// A node with `read_cache=off` caches nothing, but its writes still revoke the leases of
    /// a node that caches: what it wrote is what the caching node reads next.
    func testANodeWithoutTheCacheStillRevokesOtherNodesLeases() throws {
        var uncached = try PostgresURL(parsing: PrivatePostgres.url())
        uncached.readCache = false
        let (a, b) = (try node(), try PostgresBackend(url: uncached))
        defer { a.close(); b.close() }
        XCTAssertNil(b.openedValueCache)
        let (reader, writer) = try sharedApp(a, b)
        try writer.put("k", Array("start".utf8))
        for round in 0..<10 {
            _ = try reader.get("k")
            _ = try reader.get("k")
            let value = Array("v\(round)".utf8)
            try writer.put("k", value)
            XCTAssertEqual(try reader.get("k"), value, "round \(round): a stale read after a write through the uncached node")
        }
        XCTAssertGreaterThan(try XCTUnwrap(a.openedValueCache).statistics.hits, 5, "the caching node served from its cache")
    }

    /// A grant that arrives after a newer grant of the same node (its statement was slow, and
    /// the node gave up on it) does not replace the newer grant's row, so it cannot un-revoke it.
    func testAnOlderGrantDoesNotReplaceANewerOne() throws {
        let a = try node()
        defer { a.close() }
        let pool = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url()))
        defer { pool.close() }
        let namespace = (0..<32).map { _ in UInt8.random(in: 0...255) }, holder = a.leases.node
        for id: Int64 in [7, 3] {
            try PostgresReadLeaseSQL.run(pool, "grant", PostgresReadLeaseSQL.acquire, [namespace, holder], id: id, milliseconds: 2000)
        }
        let rows = try PostgresReadLeaseSQL.run(pool, "read the grant", "SELECT lease_id FROM enclaveos_read_leases WHERE namespace = $1 AND node = $2",
                                                [namespace, holder])
        XCTAssertEqual(try rows.map { try $0.int64(0) }, [7], "the older grant replaced the newer one")
        try PostgresReadLeaseSQL.run(pool, "grant", PostgresReadLeaseSQL.acquire, [namespace, holder], id: 8, milliseconds: 2000)
        let later = try PostgresReadLeaseSQL.run(pool, "read the grant", "SELECT lease_id FROM enclaveos_read_leases WHERE namespace = $1 AND node = $2",
                                                 [namespace, holder])
        XCTAssertEqual(try later.map { try $0.int64(0) }, [8], "a newer grant replaces the row")
    }

    /// A holder that never answers a revocation delays the writer by at most a lease, and does
    /// not serve its cached value once the writer was answered.
    func testAHolderThatNeverAnswersDelaysAWriterByAtMostALease() throws {
        let (a, b) = (try node(), try node())
        defer { a.close(); b.close() }
        let (reader, writer) = try sharedApp(a, b)
        try writer.put("k", Array("old".utf8))
        XCTAssertEqual(try reader.get("k"), Array("old".utf8))
        XCTAssertEqual(try reader.get("k"), Array("old".utf8))
        let hits = try XCTUnwrap(a.openedValueCache).statistics.hits
        XCTAssertEqual(hits, 1, "the second read is a cache hit")
        let holder = try leases(a)
        let deadline = try XCTUnwrap(holder.deadline(of: reader.namespaceID()))
        holder.ignoreInvalidations(true)
        let before = Date()
        try writer.put("k", Array("new".utf8))
        let waited = Date().timeIntervalSince(before)
        let timing = holder.timing
        XCTAssertLessThanOrEqual(waited, Double(timing.duration + timing.writerSlack) / 1e9)
        XCTAssertGreaterThan(waited, 0.5, "the writer waited for the lease to expire")
        XCTAssertGreaterThan(LeaseClock.now(), deadline, "the holder's lease ended locally before the writer returned")
        XCTAssertEqual(try reader.get("k"), Array("new".utf8))
        XCTAssertEqual(try reader.get("k"), Array("new".utf8))
        holder.ignoreInvalidations(false)
    }

    /// A holder that ignores a revocation but keeps reading: its renewal finds the lease revoked,
    /// so it drops its values and reads the committed one; the writer, waiting for the revoked
    /// grant, is answered once the holder replaced it, well before the lease would expire.
    func testARevokedLeaseIsNeverRenewed() throws {
        var timing = PostgresReadLeases.Timing()
        // Renewed at every read: the renewal meets the revocation at once.
        timing.renewBefore = timing.duration
        let (a, b) = (try node(timing), try node())
        defer { a.close(); b.close() }
        let (reader, writer) = try sharedApp(a, b)
        try writer.put("k", Array("old".utf8))
        _ = try reader.get("k")
        XCTAssertEqual(try reader.get("k"), Array("old".utf8))
        try leases(a).ignoreInvalidations(true)
        let write = BackgroundCall { () -> TimeInterval in
            let before = Date()
            try? writer.put("k", Array("new".utf8))
            return Date().timeIntervalSince(before)
        }
        var sawNew = false
        let end = Date().addingTimeInterval(5)
        while Date() < end, !sawNew {
            sawNew = try reader.get("k") == Array("new".utf8)
        }
        XCTAssertTrue(sawNew, "the holder kept serving its old value past the revocation")
        XCTAssertEqual(write.wait(seconds: 5), .success)
        XCTAssertLessThan(try write.value(), 1.5, "the writer waited for expiry, not for the replaced grant")
        XCTAssertEqual(try reader.get("k"), Array("new".utf8))
    }

    /// Without its `LISTEN` connection a node serves nothing from its cache and gives up its
    /// leases (writers do not wait for them); it caches again once it listens again.
    func testALostListenerStopsCachingUntilItIsBack() throws {
        let (a, b) = (try node(), try node())
        defer { a.close(); b.close() }
        let (reader, writer) = try sharedApp(a, b)
        let cache = try XCTUnwrap(a.openedValueCache)
        let holder = try leases(a)
        let pool = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url()))
        defer { pool.close() }
        try writer.put("k", Array("one".utf8))
        _ = try reader.get("k")
        _ = try reader.get("k")
        XCTAssertEqual(cache.statistics.hits, 1)
        holder.dropListener()
        try waitUntil("the listener is lost") { !holder.snapshot.listening }
        XCTAssertEqual(holder.snapshot.leases, 0)
        XCTAssertEqual(try reader.get("k"), Array("one".utf8))
        XCTAssertEqual(cache.statistics.hits, 1, "nothing is served from the cache without the listener")
        // Its rows are deleted once it stopped listening, so the writer does not wait for them.
        try waitUntil("the lost node's rows are gone") {
            try PostgresReadLeaseSQL.run(pool, "count", "SELECT 1 FROM enclaveos_read_leases WHERE node = $1",
                                         [holder.node]).isEmpty
        }
        let before = Date()
        try writer.put("k", Array("two".utf8))
        XCTAssertLessThan(Date().timeIntervalSince(before), 0.5)
        XCTAssertEqual(try reader.get("k"), Array("two".utf8))
        try waitUntil("the listener is back") { holder.snapshot.listening }
        _ = try reader.get("k")
        XCTAssertEqual(try reader.get("k"), Array("two".utf8))
        XCTAssertGreaterThan(cache.statistics.hits, 1, "cached again")
        try writer.put("k", Array("three".utf8))
        XCTAssertEqual(try reader.get("k"), Array("three".utf8))
    }

    /// A node holds at most `maxLeases`; the least recently used goes (its values are no longer
    /// served), and a write to its namespace is not delayed by the row it left.
    func testLeasesAreCappedAndTheLeastRecentlyUsedIsGivenUp() throws {
        var timing = PostgresReadLeases.Timing()
        timing.maxLeases = 3
        let (a, b) = (try node(timing), try node())
        defer { a.close(); b.close() }
        let names = (0..<4).map { _ in appName() }
        let readers = try names.map { try SealedKV(appName: $0, appKey: appKey, backend: a) }
        let writers = try names.map { try SealedKV(appName: $0, appKey: appKey, backend: b) }
        for writer in writers { try writer.put("k", Array("v".utf8)) }
        for reader in readers { _ = try reader.get("k") }
        let holder = try leases(a)
        XCTAssertEqual(holder.snapshot.leases, 3)
        XCTAssertNil(holder.deadline(of: try readers[0].namespaceID()), "the least recently used lease was given up")
        for reader in readers[1...] { XCTAssertNotNil(holder.deadline(of: try reader.namespaceID())) }
        let before = Date()
        try writers[0].put("k", Array("w".utf8))
        XCTAssertLessThan(Date().timeIntervalSince(before), 0.5, "a given-up lease is released at once")
        XCTAssertEqual(try readers[0].get("k"), Array("w".utf8))
        XCTAssertEqual(holder.snapshot.leases, 3)
    }

    /// Removing an app through one node revokes other nodes' leases on its rows.
    func testRemovingAnAppRevokesLeasesOnItsRows() throws {
        let (a, b) = (try node(), try node())
        defer { a.close(); b.close() }
        let name = appName()
        let reader = try SealedKV(appName: name, appKey: appKey, backend: a)
        let writer = try SealedKV(appName: name, appKey: appKey, backend: b)
        try writer.put("k", Array("v".utf8))
        _ = try reader.get("k")
        XCTAssertEqual(try reader.get("k"), Array("v".utf8))
        _ = try b.removeApp(id: Array("record-\(name)".utf8), deletingNamespace: try writer.namespaceID())
        XCTAssertNil(try reader.get("k"))
    }

    /// A database of schema version 2 (leases without their functions) is brought to version 3,
    /// whose functions then order grants against commits; a newer version is refused.
    func testASchemaOfVersion2IsUpgraded() throws {
        let pool = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url()))
        defer { pool.close() }
        _ = try node().close()
        for function in ["enclaveos_revoke_read_leases(bytea[], bytea, text)",
                         "enclaveos_grant_read_lease(bytea, bytea, bigint, bigint)", "enclaveos_read_lease_lock(bytea, boolean)"] {
            try PostgresReadLeaseSQL.run(pool, "downgrade", "DROP FUNCTION \(function)", [])
        }
        try PostgresReadLeaseSQL.run(pool, "downgrade", "UPDATE enclaveos_schema SET version = 2", [])
        let (a, b) = (try node(), try node())
        defer { a.close(); b.close() }
        let version = try PostgresReadLeaseSQL.run(pool, "read the version", "SELECT max(version) FROM enclaveos_schema", [])
        XCTAssertEqual(try version.first?.int64(0), PostgresSchema.version)
        XCTAssertEqual(PostgresSchema.version, 3)
        XCTAssertEqual(try PostgresReadLeaseSQL.run(pool, "count rows", "SELECT count(*) FROM enclaveos_schema", []).first?.int64(0), 1)
        // The functions are back: a lease is taken, and a write through the other node revokes it.
        let (reader, writer) = try sharedApp(a, b)
        try writer.put("k", Array("old".utf8))
        _ = try reader.get("k")
        XCTAssertEqual(try reader.get("k"), Array("old".utf8))
        try writer.put("k", Array("new".utf8))
        XCTAssertEqual(try reader.get("k"), Array("new".utf8))
        // A newer schema is refused, and left as it was.
        try PostgresReadLeaseSQL.run(pool, "upgrade", "UPDATE enclaveos_schema SET version = 4", [])
        defer { _ = try? PostgresReadLeaseSQL.run(pool, "restore", "UPDATE enclaveos_schema SET version = 3", []) }
        XCTAssertThrowsError(try node()) { error in
            XCTAssertTrue("\(error)".contains("schema version 4 is newer than this server (3)"), "\(error)")
        }
    }

    /// A commit is one round trip even when another node holds a lease on what it writes: the
    /// revocation is part of it, and the holder's release arrives by notification.
    func testACommitRevokingALeaseIsOneRoundTrip() throws {
        var timing = PostgresReadLeases.Timing()
        // The writer never polls whether the lease is gone: only the release answers it.
        timing.pollInterval = 10_000_000_000
        let (a, b) = (try node(), try node(timing))
        defer { a.close(); b.close() }
        let (reader, writer) = try sharedApp(a, b)
        try writer.put("k", Array("old".utf8))
        _ = try reader.get("k")
        XCTAssertEqual(try reader.get("k"), Array("old".utf8))
        XCTAssertEqual(try XCTUnwrap(a.openedValueCache).statistics.hits, 1)
        let before = b.statementCount
        try writer.put("k", Array("new".utf8))
        XCTAssertEqual(b.statementCount - before, 1, "the commit and its revocation took more than one round trip")
        XCTAssertEqual(try reader.get("k"), Array("new".utf8))
    }

    /// The race the lease lock closes: a grant that commits after the commit began (its
    /// transaction held open on a connection of its own) but before the commit. The writer
    /// waits for the grant's lock (on the node's own connection in its first statement, through
    /// PostgresNIO in the revocation function), then its revocation sees the lease: it marks it
    /// revoked and waits for its release before the write is acknowledged.
    func testAGrantCommittedWhileACommitRunsIsRevokedByIt() throws {
        try assertAGrantCommittedWhileACommitRunsIsRevoked(commitsThroughPool: false)
    }

    func testAGrantCommittedWhileACommitRunsThroughThePoolIsRevokedByIt() throws {
        try assertAGrantCommittedWhileACommitRunsIsRevoked(commitsThroughPool: true)
    }

    private func assertAGrantCommittedWhileACommitRunsIsRevoked(commitsThroughPool: Bool) throws {
        let pool = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url()))
        defer { pool.close() }
        let b = try node(commitsThroughPool: commitsThroughPool)
        defer { b.close() }
        let writer = try SealedKV(appName: appName(), appKey: appKey, backend: b)
        try writer.put("k", Array("old".utf8))
        let namespace = try writer.namespaceID()
        let holder: [UInt8] = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let grant = try pool.dedicatedConnection("hold a grant open")
        defer { _ = try? grant.close().wait() }
        var bindings = PostgresBindings()
        bindings.append(ByteBuffer(bytes: namespace))
        bindings.append(ByteBuffer(bytes: holder))
        bindings.append(Int64(7))
        bindings.append(Int64(60_000))
        _ = try pool.query(grant, "BEGIN", operation: "begin a grant")
        _ = try pool.query(grant, PostgresReadLeaseSQL.acquire, bindings, operation: "grant, uncommitted")
        let write = BackgroundCall { try writer.put("k", Array("new".utf8)) }
        // The commit statement waits for the grant's lock.
        try waitUntilALeaseLockIsAwaited(pool, "the commit waits for the grant")
        XCTAssertEqual(write.wait(seconds: 0.2), .timedOut, "the commit did not wait for the grant")
        _ = try pool.query(grant, "COMMIT", operation: "commit the grant")
        // The commit's revocation saw the lease committed after its statement began.
        let leaseRow = "SELECT 1 FROM enclaveos_read_leases WHERE namespace = $1 AND node = $2 AND revoked"
        try waitUntil("the lease is revoked") { try !PostgresReadLeaseSQL.run(pool, "revoked", leaseRow, [namespace, holder]).isEmpty }
        XCTAssertEqual(write.wait(seconds: 0.3), .timedOut, "the write was acknowledged before the lease ended")
        // The holder releases it (as `release` does); the writer, polling, is then answered.
        try PostgresReadLeaseSQL.run(pool, "release", "DELETE FROM enclaveos_read_leases WHERE namespace = $1 AND node = $2",
                                     [namespace, holder])
        XCTAssertEqual(write.wait(seconds: 5), .success)
        XCTAssertNoThrow(try write.value())
    }

    /// The other order: a commit that holds the lease lock (its transaction held open on a
    /// connection of its own, after its revocation and its write) makes a grant wait until it
    /// committed, so the reads the lease covers see the write, and the holder caches it.
    func testAGrantWaitsForACommitInFlight() throws {
        let pool = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url()))
        defer { pool.close() }
        let (a, b) = (try node(), try node())
        defer { a.close(); b.close() }
        let name = appName()
        let reader = try SealedKV(appName: name, appKey: appKey, backend: a)
        let writer = try SealedKV(appName: name, appKey: appKey, backend: b)
        let namespace = try writer.namespaceID()
        // The row as "new" seals it, replayed below by the held-open commit.
        try writer.put("k", Array("new".utf8))
        let rows = try PostgresReadLeaseSQL.run(pool, "read the row", "SELECT name, sealed_name, value FROM enclaveos_kv WHERE ns = $1",
                                                [namespace])
        XCTAssertEqual(rows.count, 1)
        let row = try XCTUnwrap(rows.first)
        let (rowName, sealedName, value) = (try row.bytes(0), try row.bytes(1), try row.bytes(2))
        try writer.put("k", Array("old".utf8))
        let commit = try pool.dedicatedConnection("hold a commit open")
        defer { _ = try? commit.close().wait() }
        _ = try pool.query(commit, "BEGIN", operation: "begin a commit")
        var revoke = PostgresBindings()
        revoke.append([ByteBuffer(bytes: namespace)])
        revoke.append(ByteBuffer(bytes: (0..<16).map { _ in UInt8.random(in: 0...255) }))
        revoke.append(PostgresReadLeases.channel)
        _ = try pool.query(commit, PostgresReadLeaseSQL.revokeSQL, revoke, operation: "revoke, uncommitted")
        var write = PostgresBindings()
        for bytes in [sealedName, value, namespace, rowName] { write.append(ByteBuffer(bytes: bytes)) }
        _ = try pool.query(commit, "UPDATE enclaveos_kv SET sealed_name = $1, value = $2 WHERE ns = $3 AND name = $4", write,
                           operation: "write, uncommitted")
        let read = BackgroundCall { try reader.get("k") }
        try waitUntilALeaseLockIsAwaited(pool, "the grant waits for the commit")
        XCTAssertEqual(read.wait(seconds: 0.2), .timedOut, "the grant did not wait for the commit")
        _ = try pool.query(commit, "COMMIT", operation: "commit")
        XCTAssertEqual(read.wait(seconds: 5), .success)
        XCTAssertEqual(try read.value(), Array("new".utf8))
        XCTAssertEqual(try reader.get("k"), Array("new".utf8))
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(a.openedValueCache).statistics.hits, 1, "served from the cache under the lease")
    }

    /// The ordering needs READ COMMITTED's fresh snapshot per statement: under another isolation
    /// level the lease functions refuse to run (a commit or grant fails, loudly).
    func testTheLeaseFunctionsRefuseAnotherIsolationLevel() throws {
        let pool = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url()))
        defer { pool.close() }
        _ = try node().close()
        let connection = try pool.dedicatedConnection("another isolation level")
        defer { _ = try? connection.close().wait() }
        var revoke = PostgresBindings()
        revoke.append([ByteBuffer(bytes: [1, 2, 3])])
        revoke.append(ByteBuffer(bytes: [4]))
        revoke.append(PostgresReadLeases.channel)
        _ = try pool.query(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ", operation: "begin")
        XCTAssertThrowsError(try pool.query(connection, PostgresReadLeaseSQL.revokeSQL, revoke, operation: "revoke")) { error in
            XCTAssertTrue(PostgresPool.describe(error).contains("read leases need READ COMMITTED, not repeatable read"),
                          PostgresPool.describe(error))
        }
        _ = try pool.query(connection, "ROLLBACK", operation: "roll back")
        _ = try pool.query(connection, PostgresReadLeaseSQL.revokeSQL, revoke, operation: "revoke under READ COMMITTED")
    }

    /// The commit's lock statement refuses another isolation level as the functions do (a pooler
    /// may drop the startup parameter that asks for READ COMMITTED), even with no keys.
    func testTheLockStatementRefusesAnotherIsolationLevel() throws {
        let pool = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url()))
        defer { pool.close() }
        let connection = try pool.dedicatedConnection("another isolation level")
        defer { _ = try? connection.close().wait() }
        for keys in [[Int32](), [1, -2]] {
            var bindings = PostgresBindings()
            bindings.append(keys)
            bindings.append(keys)
            _ = try pool.query(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ", operation: "begin")
            XCTAssertThrowsError(try pool.query(connection, PostgresReadLeaseSQL.lockSQL, bindings, operation: "lock")) { error in
                XCTAssertTrue(PostgresPool.describe(error).contains("read leases need READ COMMITTED, not repeatable read"),
                              PostgresPool.describe(error))
            }
            _ = try pool.query(connection, "ROLLBACK", operation: "roll back")
            let count = try pool.query(connection, PostgresReadLeaseSQL.lockSQL, bindings, operation: "lock under READ COMMITTED")
                .first?.makeRandomAccess()[0].decode(Int64.self)
            XCTAssertEqual(count, Int64(keys.count))
        }
    }

    /// PostgreSQL gives each statement of a pipeline a fresh `statement_timeout`: the commit's
    /// own connection runs with half the store's, so a commit held up by a grant is cancelled
    /// within the bound one statement has (`serverStatementTimeout`), which the quarantine of an
    /// unknown outcome counts on. Here: 2 s, so the lock statement is cancelled after 1 s.
    func testAPipelinedCommitEndsWithinTheStatementTimeout() throws {
        let pool = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url()))
        defer { pool.close() }
        let b = try node(serverStatementTimeout: .seconds(2))
        defer { b.close() }
        let writer = try SealedKV(appName: appName(), appKey: appKey, backend: b)
        try writer.put("k", Array("old".utf8))
        let grant = try pool.dedicatedConnection("hold a grant open")
        defer { _ = try? grant.close().wait() }
        var bindings = PostgresBindings()
        bindings.append(ByteBuffer(bytes: try writer.namespaceID()))
        bindings.append(ByteBuffer(bytes: (0..<16).map { _ in UInt8.random(in: 0...255) }))
        bindings.append(Int64(1))
        bindings.append(Int64(60_000))
        _ = try pool.query(grant, "BEGIN", operation: "begin a grant")
        _ = try pool.query(grant, PostgresReadLeaseSQL.acquire, bindings, operation: "grant, uncommitted")
        let started = Date()
        XCTAssertThrowsError(try writer.put("k", Array("new".utf8))) { error in
            XCTAssertTrue("\(error)".contains("57014"), "\(error)")
        }
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertGreaterThan(elapsed, 0.9)
        XCTAssertLessThan(elapsed, 1.9, "the lock statement ran with the whole statement_timeout")
        _ = try pool.query(grant, "ROLLBACK", operation: "roll back the grant")
    }

    /// Payloads come from the host's database: anything malformed is ignored, never trusted.
    func testNotificationPayloadsAreParsedWithBounds() {
        let lease = ReadLeaseMessage.Lease(node: [0, 1, 0xAB], namespace: [0xFF, 0x10], id: 42)
        for kind in [ReadLeaseMessage.Kind.invalidate, .released] {
            let message = ReadLeaseMessage(kind: kind, lease: lease)
            XCTAssertEqual(ReadLeaseMessage(payload: message.payload), message)
        }
        XCTAssertEqual(ReadLeaseMessage(kind: .invalidate, lease: lease).payload, "i0001ab:ff10:42")
        for bad in ["", "x0001ab:ff10:42", "i0001ab:ff10", "i0001a:ff10:42", "i00zz:ff10:42", "i:ff10:42", "i00:ff:42:1",
                    "i00:ff:nine", "i00:FF:1", "i" + String(repeating: "00", count: 600) + ":00:1"] {
            XCTAssertNil(ReadLeaseMessage(payload: bad), bad)
        }
    }

}
