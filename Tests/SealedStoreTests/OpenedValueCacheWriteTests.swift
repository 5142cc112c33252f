import Foundation
import XCTest
@testable import SealedStore

/// What a committed write leaves in the opened-value cache: a put's stored size (for size
/// lookups only), a delete's absence; nothing when the commit failed, when another write of the
/// row overlapped it, or, on a leased cache, when the namespace's lease was not held without a
/// break from the write's start to its end.
final class OpenedValueCacheWriteTests: XCTestCase {
    private let namespace = [UInt8](repeating: 7, count: 32)
    private let row = bytes("row")

    private func put(_ name: [UInt8], sealedName: Int = 10, value: Int = 20) -> StorageWrite {
        .put(name: name, sealedName: [UInt8](repeating: 1, count: sealedName), value: [UInt8](repeating: 2, count: value))
    }

    private func write(_ cache: OpenedValueCache, _ writes: [StorageWrite], committed: Bool = true) {
        cache.beginWrite(namespace: namespace, names: writes.map(\.rowName))
        cache.endWrite(namespace: namespace, writes: writes, committed: committed)
    }

    private func isMiss(_ lookup: OpenedValueCache.Lookup) -> Bool {
        if case .miss = lookup { true } else { false }
    }

    private func isMiss(_ lookup: OpenedValueCache.SizeLookup) -> Bool {
        if case .miss = lookup { true } else { false }
    }

    /// A leased cache holding a lease on `namespace` for `nanoseconds`.
    private func leasedCache(for nanoseconds: UInt64 = 60_000_000_000) -> OpenedValueCache {
        let cache = OpenedValueCache(leased: true)
        cache.grantLease(namespace: namespace, until: LeaseClock.now() + nanoseconds, keepEntries: false)
        return cache
    }

    func testACommittedPutRecordsItsStoredSizeForSizeLookupsOnly() {
        let cache = OpenedValueCache()
        write(cache, [put(row, sealedName: 48, value: 3000)])
        XCTAssertEqual(cache.lookupSize(namespace: namespace, name: row), .stored(3048))
        XCTAssertTrue(isMiss(cache.lookup(namespace: namespace, name: row)), "a size-only entry answered a read of the value")
        XCTAssertEqual(cache.statistics.entries, 1)
        // A value read afterwards replaces it and answers both.
        guard case .miss(let generation) = cache.lookup(namespace: namespace, name: row) else { return XCTFail("hit") }
        cache.store(bytes("abc"), namespace: namespace, name: row, readAt: generation)
        XCTAssertEqual(cache.lookup(namespace: namespace, name: row), .hit(bytes("abc")))
        XCTAssertEqual(cache.lookupSize(namespace: namespace, name: row), .opened(3))
    }

    func testACommittedDeleteRecordsTheRowAbsent() {
        let cache = OpenedValueCache()
        write(cache, [put(row)])
        write(cache, [.delete(name: row)])
        XCTAssertEqual(cache.lookup(namespace: namespace, name: row), .hit(nil))
        XCTAssertEqual(cache.lookupSize(namespace: namespace, name: row), .absent)
    }

    func testAFailedCommitOrAnInsertRecordsNothingAndForgetsTheRow() {
        let cache = OpenedValueCache()
        write(cache, [put(row)])
        write(cache, [.delete(name: row)], committed: false)
        XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: row)), "a failed commit's write was recorded")
        write(cache, [put(row)])
        write(cache, [.insert(name: row, sealedName: [1], value: [2])])
        XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: row)), "an insert, which may not have applied, left an entry")
        XCTAssertEqual(cache.statistics.entries, 0)
    }

    /// Two writes of one row in flight at once: their commit order is unknown, so neither
    /// records, whichever ends first; a write of another row at the same time does not matter.
    func testOverlappingWritesOfOneRowRecordNothing() {
        let other = bytes("other")
        for laterEndsFirst in [false, true] {
            let cache = OpenedValueCache()
            let (first, second) = ([put(row, value: 1)], [put(row, value: 2)])
            cache.beginWrite(namespace: namespace, names: [row])
            cache.beginWrite(namespace: namespace, names: [row, other])
            let secondWrites = second + [put(other, value: 5)]
            if laterEndsFirst {
                cache.endWrite(namespace: namespace, writes: secondWrites, committed: true)
                cache.endWrite(namespace: namespace, writes: first, committed: true)
            } else {
                cache.endWrite(namespace: namespace, writes: first, committed: true)
                cache.endWrite(namespace: namespace, writes: secondWrites, committed: true)
            }
            XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: row)), "laterEndsFirst \(laterEndsFirst): recorded")
            XCTAssertEqual(cache.lookupSize(namespace: namespace, name: other), .stored(15))
            // Once neither is in flight, the next write of the row records again.
            write(cache, [put(row, value: 3)])
            XCTAssertEqual(cache.lookupSize(namespace: namespace, name: row), .stored(13))
        }
        // One batch writing a row twice records nothing for it either.
        let cache = OpenedValueCache()
        write(cache, [put(row, value: 1), .delete(name: row)])
        XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: row)))
    }

    /// An app's removal (a write of its whole namespace) overlapping a write of one of its rows.
    func testAWriteOverlappingTheNamespacesRemovalRecordsNothing() {
        let cache = OpenedValueCache()
        cache.beginWrite(namespace: namespace, names: [row])
        cache.beginWrite(namespace: namespace, names: nil)
        cache.endWrite(namespace: namespace, writes: nil, committed: true)
        cache.endWrite(namespace: namespace, writes: [put(row)], committed: true)
        XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: row)))
        cache.beginWrite(namespace: namespace, names: nil)
        cache.beginWrite(namespace: namespace, names: [row])
        cache.endWrite(namespace: namespace, writes: [put(row)], committed: true)
        cache.endWrite(namespace: namespace, writes: nil, committed: true)
        XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: row)))
        write(cache, [put(row)])
        XCTAssertEqual(cache.lookupSize(namespace: namespace, name: row), .stored(30), "the namespace's tracking was not cleared")
    }

    /// A leased namespace records only under one lease held from the write's start to its end.
    func testALeasedNamespaceRecordsOnlyUnderOneContinuousLease() {
        var cache = leasedCache()
        write(cache, [put(row)])
        XCTAssertEqual(cache.lookupSize(namespace: namespace, name: row), .stored(30))
        // A renewal (same grant, confirmed) during the write keeps it recordable.
        cache.beginWrite(namespace: namespace, names: [row])
        cache.grantLease(namespace: namespace, until: LeaseClock.now() + 60_000_000_000, keepEntries: true)
        cache.endWrite(namespace: namespace, writes: [put(row, value: 30)], committed: true)
        XCTAssertEqual(cache.lookupSize(namespace: namespace, name: row), .stored(40))

        // Ended (revoked) and granted afresh while the write was in flight.
        cache = leasedCache()
        cache.beginWrite(namespace: namespace, names: [row])
        cache.endLease(namespace: namespace)
        cache.grantLease(namespace: namespace, until: LeaseClock.now() + 60_000_000_000, keepEntries: false)
        cache.endWrite(namespace: namespace, writes: [put(row)], committed: true)
        XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: row)), "recorded across a lease that ended")

        // Granted afresh without an end seen here.
        cache = leasedCache()
        cache.beginWrite(namespace: namespace, names: [row])
        cache.grantLease(namespace: namespace, until: LeaseClock.now() + 60_000_000_000, keepEntries: false)
        cache.endWrite(namespace: namespace, writes: [put(row)], committed: true)
        XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: row)), "recorded across a fresh grant")

        // Every lease ended (the listener was lost) and this one granted again.
        cache = leasedCache()
        cache.beginWrite(namespace: namespace, names: [row])
        cache.endAllLeases()
        cache.grantLease(namespace: namespace, until: LeaseClock.now() + 60_000_000_000, keepEntries: false)
        cache.endWrite(namespace: namespace, writes: [.delete(name: row)], committed: true)
        XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: row)), "recorded across the loss of every lease")

        // No lease when the write began, one granted before it ended.
        cache = OpenedValueCache(leased: true)
        cache.beginWrite(namespace: namespace, names: [row])
        cache.grantLease(namespace: namespace, until: LeaseClock.now() + 60_000_000_000, keepEntries: false)
        cache.endWrite(namespace: namespace, writes: [put(row)], committed: true)
        XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: row)), "recorded under a lease granted after the write began")

        // The lease lapsed (its deadline passed) before the write ended.
        cache = leasedCache(for: 20_000_000)
        cache.beginWrite(namespace: namespace, names: [row])
        Thread.sleep(forTimeInterval: 0.05)
        cache.endWrite(namespace: namespace, writes: [put(row)], committed: true)
        cache.grantLease(namespace: namespace, until: LeaseClock.now() + 60_000_000_000, keepEntries: true)
        XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: row)), "recorded after the lease lapsed")
    }

    /// A cache turned off (its backend lost the sole-writer lock) while the write was in flight,
    /// or before it began, records nothing even if turned on again.
    func testACacheTurnedOffDuringTheWriteRecordsNothing() {
        let cache = OpenedValueCache()
        cache.beginWrite(namespace: namespace, names: [row])
        cache.setEnabled(false)
        cache.setEnabled(true)
        cache.endWrite(namespace: namespace, writes: [put(row)], committed: true)
        XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: row)))
        cache.setEnabled(false)
        cache.beginWrite(namespace: namespace, names: [row])
        cache.setEnabled(true)
        cache.endWrite(namespace: namespace, writes: [put(row)], committed: true)
        XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: row)))
        // The app's entries dropped (its key was closed) while the write was in flight.
        cache.beginWrite(namespace: namespace, names: [row])
        cache.remove(namespace: namespace)
        cache.endWrite(namespace: namespace, writes: [put(row)], committed: true)
        XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: row)))
    }

    /// A size the backend answered is kept under the rule for values read: not when a write
    /// began after the lookup, never in place of a value kept meanwhile, and never an absence.
    func testASizeReadFromTheBackendIsKeptOnlyUnderTheReadRule() {
        let cache = OpenedValueCache()
        guard case .miss(let before) = cache.lookupSize(namespace: namespace, name: row) else { return XCTFail("hit") }
        write(cache, [.insert(name: row, sealedName: [1], value: [2])])
        cache.storeSize(100, namespace: namespace, name: row, readAt: before)
        XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: row)), "a size read before a write was kept")
        guard case .miss(let after) = cache.lookupSize(namespace: namespace, name: row) else { return XCTFail("hit") }
        cache.storeSize(100, namespace: namespace, name: row, readAt: after)
        XCTAssertEqual(cache.lookupSize(namespace: namespace, name: row), .stored(100))
        XCTAssertTrue(isMiss(cache.lookup(namespace: namespace, name: row)))
        guard case .miss(let absent) = cache.lookupSize(namespace: namespace, name: bytes("gone")) else { return XCTFail("hit") }
        // An absence the backend answered is not kept (the host could lie, and it would answer reads).
        cache.storeSize(nil, namespace: namespace, name: bytes("gone"), readAt: absent)
        XCTAssertTrue(isMiss(cache.lookup(namespace: namespace, name: bytes("gone"))))
        XCTAssertTrue(isMiss(cache.lookupSize(namespace: namespace, name: bytes("gone"))))
        guard case .miss(let valueRead) = cache.lookup(namespace: namespace, name: bytes("v")) else { return XCTFail("hit") }
        cache.store(bytes("value"), namespace: namespace, name: bytes("v"), readAt: valueRead)
        cache.storeSize(999, namespace: namespace, name: bytes("v"), readAt: valueRead)
        XCTAssertEqual(cache.lookup(namespace: namespace, name: bytes("v")), .hit(bytes("value")))
    }

    /// Through `SealedKV` on a real SQLite file under the data-directory lock: a rewrite's size is
    /// answered from the cache, converted to the value's length exactly as from the file.
    func testSealedKVSizeAfterARewriteMatchesTheFile() throws {
        let directory = try TempDirectory()
        let store = try SealedStore.open(dataDirectory: directory.path, sealingKeyProvider: FixedSealingKey(), exclusive: true)
        defer { store.backend.close() }
        let appKey = AppKey.generate()
        let kv = try store.kv(appName: "app", key: appKey)
        let cache = try XCTUnwrap(store.backend.openedValueCache)
        let reader = try SealedStore.open(dataDirectory: directory.path, sealingKeyProvider: FixedSealingKey())
        defer { reader.backend.close() }
        let uncached = try reader.kv(appName: "app", key: appKey)
        for (keyLength, valueLength) in [(1, 0), (27, 5), (28, 3000), (60, 64 << 10), (200, 1)] {
            let key = [UInt8](repeating: 0x61, count: keyLength)
            try kv.put(key, [UInt8](repeating: 9, count: valueLength))
            let hits = cache.statistics.hits
            XCTAssertEqual(try kv.valueSize(key), valueLength, "key \(keyLength) bytes")
            XCTAssertEqual(cache.statistics.hits, hits + 1, "the size was not answered by the cache")
            XCTAssertEqual(try uncached.valueSize(key), valueLength)
            XCTAssertTrue(try kv.delete(key))
            XCTAssertNil(try kv.valueSize(key))
            XCTAssertNil(try kv.get(key))
        }
    }
}
