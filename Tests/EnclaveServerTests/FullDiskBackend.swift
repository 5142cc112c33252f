import SealedStore
import Synchronization

/// An in-memory backend whose app-record writes and app removals fail while `full` is set, as
/// a full disk makes SQLite fail them ("database or disk is full", code 13); key-value rows are
/// written as usual, so a test sees what a failed load or unload left behind (`inner`).
final class FullDiskBackend: StorageBackend, Sendable {
    let inner = InMemoryBackend()
    private let fullNow: Mutex<Bool>

    init(full: Bool) {
        fullNow = Mutex(full)
    }

    var full: Bool {
        get { fullNow.withLock { $0 } }
        set { fullNow.withLock { $0 = newValue } }
    }

    private func check(_ operation: String) throws {
        if full { throw SealedStoreError.backend(operation: operation, code: 13, message: "database or disk is full") }
    }

    func value(namespace: [UInt8], name: [UInt8]) throws -> [UInt8]? { try inner.value(namespace: namespace, name: name) }
    func apply(namespace: [UInt8], writes: [StorageWrite]) throws { try inner.apply(namespace: namespace, writes: writes) }
    func names(namespace: [UInt8]) throws -> [StoredName] { try inner.names(namespace: namespace) }
    func count(namespace: [UInt8]) throws -> Int { try inner.count(namespace: namespace) }
    func appRecord(id: [UInt8]) throws -> [UInt8]? { try inner.appRecord(id: id) }
    func putAppRecord(id: [UInt8], record: [UInt8]) throws {
        try check("put app record")
        try inner.putAppRecord(id: id, record: record)
    }
    func allAppRecords() throws -> [(id: [UInt8], record: [UInt8])] { try inner.allAppRecords() }
    func removeApp(id: [UInt8], deletingNamespace namespace: [UInt8]?) throws -> Bool {
        try check("remove app")
        return try inner.removeApp(id: id, deletingNamespace: namespace)
    }
}
