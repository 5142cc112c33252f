import Foundation
import Synchronization
import XCTest
@testable import SealedStore

/// The PostgreSQL backend against a real, private PostgreSQL server: the same sealed layout and
/// guarantees as SQLite, shared by several "servers" (backends with their own connections).
final class PostgresBackendTests: XCTestCase {
    private func uniqueApp() -> String { "app-\(UUID().uuidString.prefix(8))" }

    func testSealedKVRoundTripBatchesAndListing() throws {
        let backend = try postgresBackend()
        defer { backend.close() }
        let kv = try SealedKV(appName: uniqueApp(), appKey: .generate(), backend: backend)
        XCTAssertNil(try kv.get("missing"))
        try kv.put("fs:/a", bytes("one"))
        try kv.put("fs:/a", bytes("two"))
        XCTAssertEqual(try kv.get("fs:/a"), bytes("two"))
        // One batch: put, delete and put again of the same key ends as applying them in order would.
        try kv.apply([.put(key: bytes("fs:/b"), value: bytes("x")), .delete(key: bytes("fs:/b")),
                      .put(key: bytes("fs:/b"), value: bytes("y")), .put(key: bytes("fs:/c"), value: []),
                      .delete(key: bytes("fs:/a"))])
        XCTAssertNil(try kv.get("fs:/a"))
        XCTAssertEqual(try kv.get("fs:/b"), bytes("y"))
        XCTAssertEqual(try kv.get("fs:/c"), [])
        XCTAssertEqual(try kv.keys(withPrefix: "fs:/"), ["fs:/b", "fs:/c"])
        XCTAssertEqual(try kv.count(), 2)
        XCTAssertTrue(try kv.delete("fs:/b"))
        XCTAssertFalse(try kv.delete("fs:/b"))
        let big = [UInt8]((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try kv.put("big", big)
        XCTAssertEqual(try kv.get("big"), big)
    }

    /// A create (insert-if-absent) keeps an existing value, on PostgreSQL as on SQLite, also
    /// inside one batch with other writes to the same row; the quota counts what is stored.
    func testCreateKeepsAnExistingValueOnBothBackends() throws {
        let postgres = try postgresBackend()
        defer { postgres.close() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("create-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = try SQLiteBackend(path: directory + "/s.sqlite")
        defer { sqlite.close() }
        for backend in [postgres as any StorageBackend, sqlite] {
            let limits = SealedKVLimits(maxKeyBytes: 4096, maxValueBytes: 1 << 20, maxBatchWrites: 64, maxEntries: 1000)
            let kv = try SealedKV(appName: uniqueApp(), appKey: .generate(), backend: backend, limits: limits)
            try kv.put("kept", bytes("first"))
            try kv.apply([.create(key: bytes("kept"), value: []), .create(key: bytes("new"), value: bytes("made"))])
            XCTAssertEqual(try kv.get("kept"), bytes("first"), "\(backend)")
            XCTAssertEqual(try kv.get("new"), bytes("made"), "\(backend)")
            // In one batch: a create after a put does nothing; after a delete it creates.
            try kv.apply([.put(key: bytes("a"), value: bytes("put")), .create(key: bytes("a"), value: bytes("created")),
                          .delete(key: bytes("new")), .create(key: bytes("new"), value: bytes("again"))])
            XCTAssertEqual(try kv.get("a"), bytes("put"), "\(backend)")
            XCTAssertEqual(try kv.get("new"), bytes("again"), "\(backend)")
            XCTAssertEqual(try kv.usage(), try backend.usage(namespace: kv.namespaceID()), "\(backend)")
        }
    }

    /// The storage quota measured by PostgreSQL's own queries agrees with SQLite's: the same
    /// writes fit or are refused at the same point, and the usage counted matches a fresh measure.
    func testQuotasMeasureTheSameOnPostgresAndSQLite() throws {
        let postgres = try postgresBackend()
        defer { postgres.close() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quota-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = try SQLiteBackend(path: directory + "/q.sqlite")
        var limits = SealedKVLimits.default
        limits.maxStoredBytes = 4096
        limits.maxEntries = 3
        var outcomes: [[String]] = []
        for backend in [postgres, sqlite] as [any StorageBackend] {
            let kv = try SealedKV(appName: uniqueApp(), appKey: AppKey.fromHex(String(repeating: "ab", count: 32)),
                                  backend: backend, limits: limits)
            var outcome: [String] = []
            for (key, size) in [("a", 1000), ("b", 1000), ("a", 3500), ("c", 10), ("d", 10), ("b", 0), ("d", 10)] {
                do {
                    try kv.put(key, [UInt8](repeating: 7, count: size))
                    outcome.append("ok")
                } catch SealedStoreError.quotaExceeded {
                    outcome.append("quota")
                }
            }
            XCTAssertEqual(try kv.usage(), try backend.usage(namespace: DerivedAppKeys(appKey: AppKey.fromHex(String(repeating: "ab", count: 32)), appName: kv.appName).namespace))
            outcomes.append(outcome)
        }
        XCTAssertEqual(outcomes[0], outcomes[1], "PostgreSQL and SQLite disagree")
        XCTAssertEqual(outcomes[0], ["ok", "ok", "quota", "ok", "quota", "ok", "quota"])
    }

    func testAWriteThroughOneServerIsReadThroughAnother() throws {
        let (first, second) = (try postgresBackend(), try postgresBackend())
        defer { first.close(); second.close() }
        let (name, key) = (uniqueApp(), AppKey.generate())
        let writer = try SealedKV(appName: name, appKey: key, backend: first)
        let reader = try SealedKV(appName: name, appKey: key, backend: second)
        for round in 0..<20 {
            try writer.put("k", bytes("v\(round)"))
            XCTAssertEqual(try reader.get("k"), bytes("v\(round)"), "round \(round): the other server read a stale value")
        }
    }

    func testAppRecordsAddIsAtomicAndVersionsChangeOnEveryWrite() throws {
        let (first, second) = (try postgresBackend(), try postgresBackend())
        defer { first.close(); second.close() }
        let (storeA, storeB) = (try SealedStore(backend: first, sealingKeyProvider: FixedSealingKey()),
                                try SealedStore(backend: second, sealingKeyProvider: FixedSealingKey()))
        let name = uniqueApp()
        // Two servers load the same name at the same moment: exactly one wins.
        let outcomes = SharedValue<[Bool]>([])
        onThreads(8) { index in
            let store = index.isMultiple(of: 2) ? storeA : storeB
            let won = (try? store.addApp(AppRecord(name: name, code: bytes("code \(index)"), key: .generate()))) != nil
            outcomes.mutate { $0.append(won) }
        }
        XCTAssertEqual(outcomes.value.filter { $0 }.count, 1)
        let id = storeA.recordID(forApp: name)
        let before = try XCTUnwrap(first.versionedAppRecord(id: id)).version
        var record = try XCTUnwrap(storeB.app(named: name))
        record.quarantine = AppQuarantine(reason: "test")
        try storeB.saveApp(record)
        let after = try XCTUnwrap(first.versionedAppRecord(id: id)).version
        XCTAssertGreaterThan(after, before)
        XCTAssertTrue(try first.touchAppRecord(id: id))
        XCTAssertGreaterThan(try XCTUnwrap(second.versionedAppRecord(id: id)).version, after)
        XCTAssertEqual(try storeA.app(named: name)?.quarantine?.reason, "test")
        XCTAssertTrue(try first.appVersions().contains { $0.id == id })
        XCTAssertTrue(try storeA.removeApp(named: name))
        XCTAssertNil(try second.versionedAppRecord(id: id))
        XCTAssertFalse(try first.appVersions().contains { $0.id == id })
    }

    func testRemovingAGeneratedKeyAppDeletesItsRowsAtomically() throws {
        let backend = try postgresBackend()
        defer { backend.close() }
        let store = try SealedStore(backend: backend, sealingKeyProvider: FixedSealingKey())
        let name = uniqueApp()
        let record = AppRecord(name: name, code: bytes("code"), key: .generate())
        try store.addApp(record)
        let kv = try store.kv(for: record)
        for index in 0..<10 { try kv.put("k\(index)", bytes("v")) }
        let namespace = try kv.namespaceID()
        XCTAssertEqual(try backend.count(namespace: namespace), 10)
        XCTAssertTrue(try store.removeApp(named: name))
        XCTAssertEqual(try backend.count(namespace: namespace), 0)
        XCTAssertThrowsError(try kv.get("k1"))  // the shared handle was closed with the key
    }

    func testConcurrentWritersFromTwoServersNeverCorruptARow() throws {
        let (first, second) = (try postgresBackend(), try postgresBackend())
        defer { first.close(); second.close() }
        let (name, key) = (uniqueApp(), AppKey.generate())
        let kvs = [try SealedKV(appName: name, appKey: key, backend: first), try SealedKV(appName: name, appKey: key, backend: second)]
        let written = SharedValue<Set<[UInt8]>>([bytes("start")])
        try kvs[0].put("shared", bytes("start"))
        onThreads(8) { worker in
            for round in 0..<25 {
                let value = bytes("w\(worker)-r\(round)-") + [UInt8](repeating: UInt8(worker), count: 1000 + worker * 100)
                written.mutate { $0.insert(value) }
                do {
                    try kvs[worker % 2].put("shared", value)
                    let seen = try XCTUnwrap(kvs[(worker + 1) % 2].get("shared"))
                    XCTAssertTrue(written.value.contains(seen), "a read returned a value nobody wrote whole")
                } catch {
                    XCTFail("worker \(worker): \(error)")
                }
            }
        }
        XCTAssertTrue(written.value.contains(try XCTUnwrap(kvs[0].get("shared"))))
        XCTAssertEqual(try kvs[0].get("shared"), try kvs[1].get("shared"))
    }

    func testAcknowledgedWritesSurviveADatabaseCrashAndTheBackendReconnects() throws {
        let backend = try postgresBackend()
        defer { backend.close() }
        let (name, key) = (uniqueApp(), AppKey.generate())
        let kv = try SealedKV(appName: name, appKey: key, backend: backend)
        for index in 0..<50 { try kv.put("k\(index)", bytes("value \(index)")) }
        try PrivatePostgres.crashAndRestart()
        // The pooled connections died with the server; the pool notices and reconnects.
        var recovered = false
        for _ in 0..<3 where !recovered {
            recovered = (try? kv.get("k0")) != nil
        }
        XCTAssertTrue(recovered, "the backend did not reconnect after the database restarted")
        let reopened = try SealedKV(appName: name, appKey: key, backend: try postgresBackend())
        for index in 0..<50 {
            XCTAssertEqual(try reopened.get("k\(index)"), bytes("value \(index)"), "acknowledged write k\(index) was lost")
        }
        try kv.put("after", bytes("restart"))
        XCTAssertEqual(try reopened.get("after"), bytes("restart"))
    }

    func testTheDatabaseHoldsNoPlaintextAndTamperingIsDetected() throws {
        let backend = try postgresBackend()
        defer { backend.close() }
        let (name, key) = (uniqueApp(), AppKey.generate())
        let kv = try SealedKV(appName: name, appKey: key, backend: backend)
        let secretName = "fs:/secret-\(UUID().uuidString)"
        let secretValue = bytes("plaintext that must never reach the database \(UUID().uuidString)")
        try kv.put(secretName, secretValue)
        let namespace = try kv.namespaceID()
        let rows = try backend.names(namespace: namespace)
        XCTAssertEqual(rows.count, 1)
        let stored = try XCTUnwrap(backend.value(namespace: namespace, name: rows[0].name))
        XCTAssertFalse(contains(stored + rows[0].name + rows[0].sealedName, secretValue))
        XCTAssertFalse(contains(stored + rows[0].name + rows[0].sealedName, bytes(secretName)))
        var flipped = stored
        flipped[flipped.count / 2] ^= 0x01
        try backend.apply(namespace: namespace, writes: [.put(name: rows[0].name, sealedName: rows[0].sealedName, value: flipped)])
        assertIntegrityError(try kv.get(secretName))
    }

    func testUnusableURLsAndDatabasesAreClearErrors() throws {
        for (text, expected) in [("mysql://u@h/db", "scheme"), ("postgres://h/db", "user"), ("postgres://u@h", "database"),
                                 ("postgres://u@h/db?sslmode=maybe", "sslmode"), ("postgres://u@h/db?pool_size=0", "pool_size"),
                                 ("postgres://u@h/db?colour=red", "unknown parameter"), ("postgres://u@h/db?read_cache=yes", "read_cache")] {
            XCTAssertThrowsError(try PostgresURL(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(text): \(error)")
            }
        }
        let url = try PostgresURL(parsing: "postgres://enclave:s%40cret@db.internal:6543/eos?sslmode=require&pool_size=4")
        XCTAssertEqual(url.password, "s@cret")
        XCTAssertEqual(url.port, 6543)
        XCTAssertFalse(url.description.contains("cret"), "the password must not appear in logs")
        XCTAssertTrue(url.readCache, "the read cache is on by default")
        let uncached = try PostgresURL(parsing: "postgres://u@h/db?read_cache=off")
        XCTAssertFalse(uncached.readCache)
        XCTAssertTrue(uncached.description.hasSuffix("&read_cache=off"), uncached.description)
        // Nothing listens on port 1: a clear error naming the database, not a hang.
        XCTAssertThrowsError(try PostgresBackend(url: PostgresURL(parsing: "postgres://u@127.0.0.1:1/db"))) { error in
            XCTAssertTrue("\(error)".contains("127.0.0.1:1"), "\(error)")
        }
    }
}

/// A value shared by concurrent test workers.
final class SharedValue<Value: Sendable>: Sendable {
    private let stored: Mutex<Value>
    init(_ value: Value) { stored = Mutex(value) }
    var value: Value { stored.withLock { $0 } }
    func mutate(_ body: (inout Value) -> Void) { stored.withLock { body(&$0) } }
}

