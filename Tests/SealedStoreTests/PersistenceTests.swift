import XCTest
@testable import SealedStore

/// Registry and data across restarts, unloads and reloads, on real SQLite files.
final class PersistenceTests: XCTestCase {
    func testDataAndAppsPersistAcrossReopen() throws {
        let dir = try TempDirectory()
        let byok = try AppKey.fromHex(String(repeating: "5a", count: 32))
        do {
            let store = try SealedStore.open(dataDirectory: dir.path)
            let record = AppRecord(name: "app", hostname: "app.example", code: bytes("\0asm-component"),
                                   key: byok, limits: AppLimits(maxFuel: 123, maxMemoryBytes: 1 << 20))
            try store.addApp(record)
            XCTAssertThrowsError(try store.addApp(record)) { error in
                XCTAssertEqual("\(error)", "app 'app' is already loaded")
            }
            try store.saveApp(AppRecord(name: "gen", code: bytes("gen-code"), key: .generate()))
            try store.kv(for: record).put("fs:/state", bytes("persisted"))
            try store.kv(appName: "gen", key: XCTUnwrap(store.app(named: "gen")).key).put("g", bytes("gv"))
        }
        let store = try SealedStore.open(dataDirectory: dir.path)
        let apps = try store.loadApps()
        XCTAssertEqual(apps.map(\.name), ["app", "gen"])
        let app = apps[0]
        XCTAssertEqual(app.hostname, "app.example")
        XCTAssertEqual(app.code, bytes("\0asm-component"))
        XCTAssertEqual(app.codeHash, AppRecord(name: "x", code: bytes("\0asm-component"), key: byok).codeHash)
        XCTAssertEqual(app.keySource, byok.keySource)
        XCTAssertEqual(app.limits, AppLimits(maxFuel: 123, maxMemoryBytes: 1 << 20))
        XCTAssertEqual(try store.kv(for: app).get("fs:/state"), bytes("persisted"))
        XCTAssertEqual(apps[1].keySource, "generated")
        XCTAssertEqual(try store.kv(for: apps[1]).get("g"), bytes("gv"))
    }

    func testBYOKReloadReadsOldDataAndADifferentKeyFindsNothing() throws {
        let dir = try TempDirectory()
        let store = try SealedStore.open(dataDirectory: dir.path)
        let key = try AppKey.fromHex(String(repeating: "01", count: 32))
        let record = AppRecord(name: "byok", code: bytes("c"), key: key)
        try store.addApp(record)
        let kv = try store.kv(for: record)
        try kv.put("k", bytes("v"))
        XCTAssertTrue(try store.removeApp(named: "byok"))
        XCTAssertFalse(try store.removeApp(named: "byok"))
        XCTAssertThrowsError(try kv.get("k"), "handle must be closed by removeApp")
        XCTAssertEqual(try store.loadApps().count, 0)

        let other = AppRecord(name: "byok", code: bytes("c"), key: try AppKey.fromHex(String(repeating: "02", count: 32)))
        try store.addApp(other)
        XCTAssertNil(try store.kv(for: other).get("k"))
        XCTAssertEqual(try store.kv(for: other).keys(withPrefix: ""), [])
        try store.removeApp(named: "byok")

        // Same name and key after a restart: the old data is back.
        let reopened = try SealedStore.open(dataDirectory: dir.path)
        let again = AppRecord(name: "byok", code: bytes("new code"), key: try AppKey.fromHex(String(repeating: "01", count: 32)))
        try reopened.addApp(again)
        XCTAssertEqual(try reopened.kv(for: again).get("k"), bytes("v"))
        // Same key, different app name: nothing.
        XCTAssertNil(try reopened.kv(appName: "other-name", key: key).get("k"))
    }

    func testGeneratedKeyDataIsGoneAfterRemoveAndReAdd() throws {
        let dir = try TempDirectory()
        let store = try SealedStore.open(dataDirectory: dir.path)
        let first = AppRecord(name: "gen", code: bytes("c"), key: .generate())
        try store.addApp(first)
        try store.kv(for: first).put("k", bytes("v"))
        try store.kv(for: first).put("k2", bytes("v2"))
        let oldNamespace = DerivedAppKeys(appKey: first.key, appName: "gen").namespace
        XCTAssertEqual(try store.backend.count(namespace: oldNamespace), 2)
        try store.removeApp(named: "gen")
        // Rows were deleted with the key, in the same transaction.
        XCTAssertEqual(try store.backend.count(namespace: oldNamespace), 0)
        let second = AppRecord(name: "gen", code: bytes("c"), key: .generate())
        try store.addApp(second)
        XCTAssertNil(try store.kv(for: second).get("k"))
        XCTAssertEqual(try store.kv(for: second).keys(withPrefix: ""), [])
    }

    func testFileNeverContainsPlaintextNamesValuesKeysOrCode() throws {
        let dir = try TempDirectory()
        let byokHex = "c0ffee" + String(repeating: "11", count: 29)
        let byok = try AppKey.fromHex(byokHex)
        let generated = AppKey.generate()
        let secrets = ["PLAINTEXT-VALUE-MARKER", "fs:/secret/NAME-MARKER", "APP-NAME-MARKER", "HOST-MARKER",
                       "CODE-BYTES-MARKER"]
        do {
            let store = try SealedStore.open(dataDirectory: dir.path)
            let a = AppRecord(name: "APP-NAME-MARKER", hostname: "HOST-MARKER", code: bytes("CODE-BYTES-MARKER"), key: byok)
            let b = AppRecord(name: "second", code: bytes("x"), key: generated)
            try store.addApp(a)
            try store.addApp(b)
            for i in 0..<20 {
                try store.kv(for: a).put("fs:/secret/NAME-MARKER\(i)", bytes("PLAINTEXT-VALUE-MARKER \(i)"))
                try store.kv(for: b).put("fs:/secret/NAME-MARKER", bytes("PLAINTEXT-VALUE-MARKER"))
            }
            // Scan while open (WAL holds the recent pages) and after close (checkpointed).
            let live = try storeFileBytes(dir.path)
            for secret in secrets { XCTAssertFalse(contains(live, bytes(secret)), "\(secret) in live files") }
        }
        let all = try storeFileBytes(dir.path)
        XCTAssertGreaterThan(all.count, 4096)
        for secret in secrets { XCTAssertFalse(contains(all, bytes(secret)), "\(secret) found in the store files") }
        generated.key.withUnsafeBytes { XCTAssertFalse(contains(all, Array($0)), "generated key bytes found") }
        byok.key.withUnsafeBytes { XCTAssertFalse(contains(all, Array($0)), "BYOK key bytes found") }
        XCTAssertFalse(contains(all, bytes(byokHex)))
        // The check itself can fail: the marker is found when it really is there.
        XCTAssertTrue(contains(all + bytes("xxPLAINTEXT-VALUE-MARKERxx"), bytes("PLAINTEXT-VALUE-MARKER")))
    }

    func testFileUsesWALAndRefusesANewerSchema() throws {
        let dir = try TempDirectory()
        let path = dir.file("s.sqlite")
        let backend = try SQLiteBackend(path: path)
        let raw = try SQLiteDatabase(path: path)
        XCTAssertEqual(try raw.scalarText("PRAGMA journal_mode"), "wal")
        XCTAssertEqual(try raw.scalarText("PRAGMA user_version"), "\(SQLiteBackend.schemaVersion)")
        try raw.execute("PRAGMA user_version = 99")
        raw.close()
        backend.close()
        XCTAssertThrowsError(try SQLiteBackend(path: path)) { error in
            XCTAssertTrue("\(error)".contains("schema version 99 is newer"), "\(error)")
        }
        // Not a database at all: a clear backend error, not a crash.
        let junk = dir.file("junk.sqlite")
        XCTAssertTrue(FileManager.default.createFile(atPath: junk, contents: Data(repeating: 0x41, count: 8192)))
        XCTAssertThrowsError(try SQLiteBackend(path: junk)) { error in
            guard case .backend = error as? SealedStoreError else { return XCTFail("\(error)") }
        }
    }
}
