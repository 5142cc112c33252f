import XCTest
@testable import SealedStore

/// The host is hostile: every alteration of stored bytes must surface as `integrity`, never as
/// wrong plaintext.
final class IntegrityTests: XCTestCase {
    func testEveryFlippedByteAndEveryTruncationIsAnIntegrityError() throws {
        let backend = InMemoryBackend()
        let kv = try SealedKV(appName: "app", appKey: .generate(), backend: backend)
        try kv.put("k", bytes("secret value"))
        let row = try XCTUnwrap(backend.rawRows().first)
        for index in row.value.indices {
            for mask: UInt8 in [0x01, 0x80] {
                var tampered = row.value
                tampered[index] ^= mask
                backend.setRawValue(namespace: row.namespace, name: row.name, value: tampered)
                assertIntegrityError(try kv.get("k"), "flip \(mask) at \(index)")
            }
        }
        for length in 0..<row.value.count {
            backend.setRawValue(namespace: row.namespace, name: row.name, value: Array(row.value.prefix(length)))
            assertIntegrityError(try kv.get("k"), "truncated to \(length)")
        }
        backend.setRawValue(namespace: row.namespace, name: row.name, value: row.value + [0])
        assertIntegrityError(try kv.get("k"), "extended by one byte")
        backend.setRawValue(namespace: row.namespace, name: row.name, value: row.value)
        XCTAssertEqual(try kv.get("k"), bytes("secret value"))
    }

    func testSwappedValuesBetweenKeysAndAppsOnSQLite() throws {
        let dir = try TempDirectory()
        let path = dir.file("s.sqlite")
        let backend = try SQLiteBackend(path: path)
        let shared = AppKey.generate()
        let a = try SealedKV(appName: "a", appKey: shared, backend: backend)
        let b = try SealedKV(appName: "b", appKey: shared, backend: backend)
        try a.put("x", bytes("a-x"))
        try a.put("y", bytes("a-y"))
        try b.put("x", bytes("b-x"))

        // Act as the host with a second raw connection on the same file.
        let host = try SQLiteDatabase(path: path)
        func rawValue(_ kv: DerivedAppKeys, _ key: String) throws -> [UInt8] {
            var value: [UInt8] = []
            try host.query("SELECT value FROM kv WHERE ns = ?1 AND name = ?2",
                           [.blob(kv.namespace), .blob(kv.rowName(for: bytes(key)))]) { value = $0.blob(0); return false }
            return value
        }
        func setRaw(_ kv: DerivedAppKeys, _ key: String, _ value: [UInt8]) throws {
            try host.query("UPDATE kv SET value = ?3 WHERE ns = ?1 AND name = ?2",
                           [.blob(kv.namespace), .blob(kv.rowName(for: bytes(key))), .blob(value)])
        }
        let ka = DerivedAppKeys(appKey: shared, appName: "a"), kb = DerivedAppKeys(appKey: shared, appName: "b")
        let ax = try rawValue(ka, "x"), ay = try rawValue(ka, "y"), bx = try rawValue(kb, "x")
        try setRaw(ka, "x", ay)
        try setRaw(ka, "y", ax)
        assertIntegrityError(try a.get("x"), "swap between keys")
        assertIntegrityError(try a.get("y"), "swap between keys")
        try setRaw(ka, "x", bx)
        assertIntegrityError(try a.get("x"), "moved from app b (same key material)")
        var flipped = bx
        flipped[flipped.count / 2] ^= 0x20
        try setRaw(kb, "x", flipped)
        assertIntegrityError(try b.get("x"), "flipped on disk")
        try setRaw(kb, "x", bx)
        XCTAssertEqual(try b.get("x"), bytes("b-x"))

        // A sealed name moved to another row breaks listing loudly instead of hiding an entry.
        try host.query("UPDATE kv SET sealed_name = (SELECT sealed_name FROM kv WHERE ns = ?1 AND name = ?2) WHERE ns = ?1 AND name = ?3",
                       [.blob(ka.namespace), .blob(ka.rowName(for: bytes("x"))), .blob(ka.rowName(for: bytes("y")))])
        assertIntegrityError(try a.keys(withPrefix: ""), "sealed name swapped")
        host.close()
    }

    func testTamperedOrRenamedAppRecordIsRefused() throws {
        let backend = InMemoryBackend()
        let store = try SealedStore(backend: backend, sealingKeyProvider: FixedSealingKey())
        try store.saveApp(AppRecord(name: "one", code: bytes("code-1"), key: .generate()))
        try store.saveApp(AppRecord(name: "two", code: bytes("code-2"), key: .generate()))
        XCTAssertEqual(try store.loadApps().map(\.name), ["one", "two"])
        let records = try backend.allAppRecords()
        XCTAssertEqual(records.count, 2)
        let oneID = AppRecordSealer(sealingKey: try FixedSealingKey().sealingKey()).id(forApp: "one")
        let one = try XCTUnwrap(records.first { $0.id == oneID })
        let other = try XCTUnwrap(records.first { $0.id != oneID })
        // Record stored under the other app's id.
        try backend.putAppRecord(id: other.id, record: one.record)
        assertIntegrityError(try store.loadApps(), "record renamed")
        // A flipped byte in a record.
        var flipped = one.record
        flipped[flipped.count - 20] ^= 1
        try backend.putAppRecord(id: other.id, record: other.record)
        try backend.putAppRecord(id: one.id, record: flipped)
        assertIntegrityError(try store.loadApps(), "record flipped")
        // The same records under another platform key: refused, not silently dropped.
        try backend.putAppRecord(id: one.id, record: one.record)
        let otherPlatform = try SealedStore(backend: backend, sealingKeyProvider: FixedSealingKey(9))
        assertIntegrityError(try otherPlatform.loadApps(), "other sealing key")
        // A corrupt record can still be removed by name, so an operator can clear it.
        try backend.putAppRecord(id: one.id, record: flipped)
        XCTAssertTrue(try store.removeApp(named: "one"))
        XCTAssertEqual(try store.loadApps().map(\.name), ["two"])
    }
}
