import Foundation
import XCTest
@testable import SealedStore

/// The cache of opened values: used only on a store this process alone writes (a real SQLite
/// file under the data-directory lock, or memory), never stale after any write, never holding
/// what a failed commit tried to write, bounded, separate per app, and leased on PostgreSQL.
final class OpenedValueCacheTests: XCTestCase {
    private let key = AppKey.generate()

    /// A server-style store: SQLite file, data-directory lock held.
    private func exclusiveStore(_ directory: TempDirectory, limits: SealedKVLimits = .default) throws -> SealedStore {
        try SealedStore.open(dataDirectory: directory.path, sealingKeyProvider: FixedSealingKey(), limits: limits,
                             exclusive: true)
    }

    private func cache(of store: SealedStore) throws -> OpenedValueCache {
        try XCTUnwrap(store.backend.openedValueCache)
    }

    func testRepeatedReadIsServedFromTheCacheAndAnOverwriteIsSeen() throws {
        let directory = try TempDirectory()
        let store = try exclusiveStore(directory)
        defer { store.backend.close() }
        let kv = try store.kv(appName: "app", key: key)
        let cache = try cache(of: store)
        try kv.put("fs:/a", bytes("one"))
        XCTAssertEqual(try kv.get("fs:/a"), bytes("one"))
        XCTAssertEqual(try kv.get("fs:/a"), bytes("one"))
        XCTAssertEqual(cache.statistics.hits, 1, "the second read comes from the cache")
        try kv.put("fs:/a", bytes("two"))
        XCTAssertEqual(try kv.get("fs:/a"), bytes("two"))
        XCTAssertEqual(try kv.get("fs:/a"), bytes("two"))
        try kv.apply([.put(key: bytes("fs:/a"), value: bytes("three")), .put(key: bytes("fs:/b"), value: [])])
        XCTAssertEqual(try kv.get("fs:/a"), bytes("three"))
        XCTAssertEqual(try kv.get("fs:/b"), [])
        // What the cache served is what the file holds: a second, unlocked reader of the file agrees.
        let reader = try SealedStore.open(dataDirectory: directory.path, sealingKeyProvider: FixedSealingKey())
        defer { reader.backend.close() }
        XCTAssertEqual(try reader.kv(appName: "app", key: key).get("fs:/a"), bytes("three"))
    }

    func testAbsentKeyIsCachedUntilCreatedAndDeleteIsSeen() throws {
        let directory = try TempDirectory()
        let store = try exclusiveStore(directory)
        defer { store.backend.close() }
        let kv = try store.kv(appName: "app", key: key)
        XCTAssertNil(try kv.get("k"))
        XCTAssertNil(try kv.get("k"))
        XCTAssertEqual(try cache(of: store).statistics.hits, 1)
        try kv.apply([.create(key: bytes("k"), value: bytes("v"))])
        XCTAssertEqual(try kv.get("k"), bytes("v"))
        XCTAssertTrue(try kv.delete("k"))
        XCTAssertNil(try kv.get("k"))
        try kv.put("k", bytes("w"))
        XCTAssertEqual(try kv.get("k"), bytes("w"))
        try kv.apply([.delete(key: bytes("k"))])
        XCTAssertNil(try kv.get("k"))
        try kv.put("k", bytes("x"))
        try kv.removeAll()
        XCTAssertNil(try kv.get("k"))
    }

    func testWriteRefusedByTheQuotaLeavesTheCommittedValue() throws {
        let directory = try TempDirectory()
        var limits = SealedKVLimits.default
        limits.maxStoredBytes = 4096
        let store = try exclusiveStore(directory, limits: limits)
        defer { store.backend.close() }
        let kv = try store.kv(appName: "app", key: key)
        try kv.put("k", bytes("small"))
        XCTAssertEqual(try kv.get("k"), bytes("small"))
        XCTAssertNil(try kv.get("new"))
        XCTAssertThrowsError(try kv.put("k", [UInt8](repeating: 1, count: 8192))) { error in
            guard case SealedStoreError.quotaExceeded = error else { return XCTFail("expected quota, got \(error)") }
        }
        XCTAssertThrowsError(try kv.apply([.put(key: bytes("new"), value: [UInt8](repeating: 2, count: 8192)),
                                           .delete(key: bytes("k"))]))
        XCTAssertEqual(try kv.get("k"), bytes("small"))
        XCTAssertNil(try kv.get("new"))
        let reader = try SealedStore.open(dataDirectory: directory.path, sealingKeyProvider: FixedSealingKey())
        defer { reader.backend.close() }
        XCTAssertEqual(try reader.kv(appName: "app", key: key).get("k"), bytes("small"))
    }

    func testTwoAppsWithTheSameKeyNameSeeTheirOwnValuesAndRemovalDropsEntries() throws {
        let directory = try TempDirectory()
        let store = try exclusiveStore(directory)
        defer { store.backend.close() }
        let firstKey = AppKey.generate()
        let first = try store.kv(appName: "first", key: firstKey)
        let second = try store.kv(appName: "second", key: .generate())
        try first.put("fs:/data", bytes("first's"))
        try second.put("fs:/data", bytes("second's"))
        for _ in 0..<3 {
            XCTAssertEqual(try first.get("fs:/data"), bytes("first's"))
            XCTAssertEqual(try second.get("fs:/data"), bytes("second's"))
        }
        let cache = try cache(of: store)
        XCTAssertEqual(cache.statistics.entries, 2)
        try store.saveApp(AppRecord(name: "first", code: bytes("code"), key: firstKey))
        XCTAssertTrue(try store.removeApp(named: "first"))
        XCTAssertEqual(cache.statistics.entries, 1, "the removed app's opened values are gone")
        XCTAssertEqual(try second.get("fs:/data"), bytes("second's"))
    }

    func testEvictionKeepsTheCacheUnderItsCapAndRecentEntries() {
        let cache = OpenedValueCache(maxBytes: 64 << 10)
        let namespace = [UInt8](repeating: 1, count: 32)
        for index in 0..<200 {
            let key = bytes("key-\(index)")
            guard case .miss(let generation) = cache.lookup(namespace: namespace, name: key) else { return XCTFail("hit") }
            cache.store([UInt8](repeating: UInt8(index % 256), count: 1000), namespace: namespace, name: key, readAt: generation)
            // Keep key-0 in use: the least recently used go first.
            XCTAssertNotEqual(cache.lookup(namespace: namespace, name: bytes("key-0")), .miss(generation: 0))
            XCTAssertLessThanOrEqual(cache.statistics.bytes, 64 << 10)
        }
        XCTAssertEqual(cache.lookup(namespace: namespace, name: bytes("key-0")), .hit([UInt8](repeating: 0, count: 1000)))
        XCTAssertEqual(cache.lookup(namespace: namespace, name: bytes("key-199")), .hit([UInt8](repeating: 199, count: 1000)))
        guard case .miss = cache.lookup(namespace: namespace, name: bytes("key-1")) else { return XCTFail("key-1 was not evicted") }
        // A value over the entry cap is not kept.
        guard case .miss(let generation) = cache.lookup(namespace: namespace, name: bytes("big")) else { return XCTFail("hit") }
        cache.store([UInt8](repeating: 0, count: OpenedValueCache.maxEntryBytes + 1), namespace: namespace, name: bytes("big"),
                    readAt: generation)
        guard case .miss = cache.lookup(namespace: namespace, name: bytes("big")) else { return XCTFail("big value cached") }
    }

    func testAReadThatRacedAWriteIsNotStored() {
        let cache = OpenedValueCache()
        let namespace = [UInt8](repeating: 1, count: 32)
        guard case .miss(let generation) = cache.lookup(namespace: namespace, name: bytes("k")) else { return XCTFail("hit") }
        // A write of any key commits between the read of the backend and the store.
        cache.beginWrite(namespace: namespace, names: [bytes("k")])
        cache.endWrite(namespace: namespace, writes: [.put(name: bytes("k"), sealedName: [], value: bytes("new"))], committed: true)
        cache.store(bytes("old"), namespace: namespace, name: bytes("k"), readAt: generation)
        guard case .miss = cache.lookup(namespace: namespace, name: bytes("k")) else { return XCTFail("stale value stored") }
    }

    /// Reader B reads the old row just before a commit, reader A the new row just after it
    /// (before the write has ended): if either could store, B's old value could land after A's
    /// new one, and a reader starting after A returned would go back in time.
    func testNoReadIsStoredWhileAWriteIsInFlight() {
        let cache = OpenedValueCache()
        let namespace = [UInt8](repeating: 1, count: 32)
        let name = bytes("k")
        guard case .miss(let beforeWrite) = cache.lookup(namespace: namespace, name: name) else { return XCTFail("hit") }
        cache.beginWrite(namespace: namespace, names: [name])
        guard case .miss(let duringWrite) = cache.lookup(namespace: namespace, name: name) else { return XCTFail("hit") }
        cache.store(bytes("new"), namespace: namespace, name: name, readAt: duringWrite)
        cache.store(bytes("old"), namespace: namespace, name: name, readAt: beforeWrite)
        guard case .miss = cache.lookup(namespace: namespace, name: name) else {
            return XCTFail("a value read while a write was in flight was kept")
        }
        cache.endWrite(namespace: namespace, writes: [.put(name: name, sealedName: [], value: bytes("new"))], committed: true)
        guard case .miss(let afterWrite) = cache.lookup(namespace: namespace, name: name) else { return XCTFail("hit") }
        cache.store(bytes("new"), namespace: namespace, name: name, readAt: afterWrite)
        XCTAssertEqual(cache.lookup(namespace: namespace, name: name), .hit(bytes("new")), "caching resumes once the write ended")
    }

    /// Without the data-directory lock another process may write the file: nothing is cached,
    /// and a write through another handle on the same file is read at once.
    func testUnlockedSQLiteDoesNotCache() throws {
        let directory = try TempDirectory()
        let writer = try SealedStore.open(dataDirectory: directory.path, sealingKeyProvider: FixedSealingKey())
        let reader = try SealedStore.open(dataDirectory: directory.path, sealingKeyProvider: FixedSealingKey())
        defer { writer.backend.close(); reader.backend.close() }
        let (write, read) = (try writer.kv(appName: "app", key: key), try reader.kv(appName: "app", key: key))
        for round in 0..<5 {
            try write.put("k", bytes("v\(round)"))
            XCTAssertEqual(try read.get("k"), bytes("v\(round)"))
            XCTAssertEqual(try read.get("k"), bytes("v\(round)"))
        }
        XCTAssertEqual(try XCTUnwrap(reader.backend.openedValueCache).statistics.entries, 0)
    }

    func testClosedBackendServesNothingFromTheCache() throws {
        let directory = try TempDirectory()
        let store = try exclusiveStore(directory)
        let kv = try store.kv(appName: "app", key: key)
        try kv.put("k", bytes("v"))
        XCTAssertEqual(try kv.get("k"), bytes("v"))
        store.backend.close()
        XCTAssertThrowsError(try kv.get("k"))
    }

    /// PostgreSQL may be written by another server: its cache is leased. A second server caches
    /// what it reads and still reads each new value at once after a write through the first
    /// (`PostgresReadLeaseTests` covers the leases); with `read_cache=off` there is no cache.
    func testPostgresAcrossTwoBackends() throws {
        var url = try PostgresURL(parsing: PrivatePostgres.url())
        url.readCache = false
        let uncached = try PostgresBackend(url: url)
        XCTAssertNil(uncached.openedValueCache)
        uncached.close()
        url.readCache = true
        let (first, second) = (try PostgresBackend(url: url), try PostgresBackend(url: url))
        defer { first.close(); second.close() }
        let appKey = AppKey.generate()
        let name = "app-\(UUID().uuidString.prefix(8))"
        let writer = try SealedKV(appName: name, appKey: appKey, backend: first)
        let reader = try SealedKV(appName: name, appKey: appKey, backend: second)
        let cache = try XCTUnwrap(second.openedValueCache)
        for round in 0..<3 {
            try writer.put("k", bytes("v\(round)"))
            XCTAssertEqual(try reader.get("k"), bytes("v\(round)"))
            XCTAssertEqual(try reader.get("k"), bytes("v\(round)"))
        }
        XCTAssertEqual(cache.statistics.hits, 3, "each second read is served from the cache")
    }
}
