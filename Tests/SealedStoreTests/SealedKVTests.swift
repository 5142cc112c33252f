import XCTest
@testable import SealedStore

final class SealedKVTests: XCTestCase {
    private func makeKV(_ name: String = "app", key: AppKey = .generate(),
                        backend: any StorageBackend = InMemoryBackend(),
                        limits: SealedKVLimits = .default) throws -> SealedKV {
        try SealedKV(appName: name, appKey: key, backend: backend, limits: limits)
    }

    func testRoundTripPutGetOverwriteDelete() throws {
        let dir = try TempDirectory()
        let kv = try makeKV(backend: SQLiteBackend(path: dir.file("s.sqlite")))
        XCTAssertNil(try kv.get("missing"))
        try kv.put("fs:/a.txt", bytes("one"))
        XCTAssertEqual(try kv.get("fs:/a.txt"), bytes("one"))
        try kv.put("fs:/a.txt", bytes("two"))
        XCTAssertEqual(try kv.get("fs:/a.txt"), bytes("two"))
        try kv.put("empty", [])
        XCTAssertEqual(try kv.get("empty"), [])
        let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try kv.put("big", big)
        XCTAssertEqual(try kv.get("big"), big)
        XCTAssertTrue(try kv.delete("fs:/a.txt"))
        XCTAssertFalse(try kv.delete("fs:/a.txt"))
        XCTAssertNil(try kv.get("fs:/a.txt"))
        XCTAssertEqual(try kv.count(), 2)
    }

    func testBinaryKeysAndValues() throws {
        let kv = try makeKV()
        let key: [UInt8] = [0, 255, 10, 0]
        try kv.put(key, [0, 0, 1])
        XCTAssertEqual(try kv.get(key), [0, 0, 1])
        XCTAssertNil(try kv.get([0, 255, 10]))
        XCTAssertEqual(try kv.keys(withPrefix: [0]), [key])
    }

    func testIsolationBetweenAppsWithSameLogicalKeys() throws {
        let backend = InMemoryBackend()
        let shared = AppKey.generate()
        // Same key material and same logical keys: still disjoint because the app name is HMAC'd in.
        let a = try makeKV("alpha", key: shared, backend: backend)
        let b = try makeKV("beta", key: shared, backend: backend)
        let c = try makeKV("gamma", backend: backend)
        try a.put("k", bytes("from-a"))
        try b.put("k", bytes("from-b"))
        XCTAssertEqual(try a.get("k"), bytes("from-a"))
        XCTAssertEqual(try b.get("k"), bytes("from-b"))
        XCTAssertNil(try c.get("k"))
        XCTAssertEqual(try a.keys(withPrefix: ""), ["k"])
        XCTAssertEqual(try c.keys(withPrefix: ""), [])
        try a.delete("k")
        XCTAssertEqual(try b.get("k"), bytes("from-b"))
        XCTAssertEqual(backend.rawRows().count, 1)
    }

    func testKeysWithPrefixListsSortedDecryptedNames() throws {
        let kv = try makeKV()
        for name in ["fs:/d/b", "fs:/d/a", "fs:/e", "fs:/d/sub/x", "other"] { try kv.put(name, bytes(name)) }
        XCTAssertEqual(try kv.keys(withPrefix: "fs:/d/"), ["fs:/d/a", "fs:/d/b", "fs:/d/sub/x"])
        XCTAssertEqual(try kv.keys(withPrefix: "fs:/"), ["fs:/d/a", "fs:/d/b", "fs:/d/sub/x", "fs:/e"])
        XCTAssertEqual(try kv.keys(withPrefix: "").count, 5)
        XCTAssertEqual(try kv.keys(withPrefix: "nope"), [])
    }

    func testAtomicBatchAppliesAllOrNothing() throws {
        let dir = try TempDirectory()
        let kv = try makeKV(backend: SQLiteBackend(path: dir.file("s.sqlite")))
        try kv.put("old", bytes("1"))
        try kv.apply([.put(key: bytes("new"), value: bytes("1")), .delete(key: bytes("old"))])
        XCTAssertEqual(try kv.keys(withPrefix: ""), ["new"])
        // A bad entry anywhere in the batch rejects the whole batch before anything is written.
        XCTAssertThrowsError(try kv.apply([.put(key: bytes("x"), value: []), .put(key: [], value: [])]))
        XCTAssertNil(try kv.get("x"))
    }

    func testHostileSizesAreRejected() throws {
        let limits = SealedKVLimits(maxKeyBytes: 16, maxValueBytes: 64, maxBatchWrites: 2)
        let kv = try makeKV(limits: limits)
        XCTAssertThrowsError(try kv.put([UInt8](repeating: 1, count: 17), [])) { error in
            XCTAssertEqual("\(error)", "sealed store: invalid input: key is 17 bytes; the limit is 16")
        }
        XCTAssertThrowsError(try kv.put("k", [UInt8](repeating: 1, count: 65)))
        XCTAssertThrowsError(try kv.get([UInt8]()))
        XCTAssertThrowsError(try kv.apply(Array(repeating: .delete(key: bytes("k")), count: 3)))
        XCTAssertNoThrow(try kv.put([UInt8](repeating: 1, count: 16), [UInt8](repeating: 2, count: 64)))
        XCTAssertThrowsError(try SealedKV(appName: "", appKey: .generate(), backend: InMemoryBackend()))
        XCTAssertThrowsError(try SealedKV(appName: String(repeating: "a", count: 256), appKey: .generate(),
                                          backend: InMemoryBackend()))
        XCTAssertThrowsError(try SealedKV(appName: "a\nb", appKey: .generate(), backend: InMemoryBackend()))
    }

    func testClosedHandleRefusesEveryCall() throws {
        let kv = try makeKV()
        try kv.put("k", bytes("v"))
        kv.close()
        XCTAssertThrowsError(try kv.get("k")) { error in
            XCTAssertEqual(error as? SealedStoreError, .appRemoved("app"))
        }
        XCTAssertThrowsError(try kv.put("k", bytes("v")))
        XCTAssertThrowsError(try kv.keys(withPrefix: ""))
    }

    func testConcurrentWritersOnSQLite() throws {
        let dir = try TempDirectory()
        let backend = try SQLiteBackend(path: dir.file("s.sqlite"), durability: .normal)
        let kvs = try (0..<4).map { try makeKV("app\($0)", backend: backend) }
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<50 {
                do {
                    try kvs[worker].put("k\(i)", bytes("\(worker)-\(i)"))
                    XCTAssertNil(try kvs[(worker + 1) % 4].get("nope"))
                } catch {
                    XCTFail("worker \(worker): \(error)")
                }
            }
        }
        for worker in 0..<4 {
            XCTAssertEqual(try kvs[worker].count(), 50)
            XCTAssertEqual(try kvs[worker].get("k49"), bytes("\(worker)-49"))
        }
    }
}
