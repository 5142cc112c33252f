import Foundation
import Synchronization

/// A volatile backend: for tests of the crypto layer and for servers run with no data directory.
/// It holds exactly what a disk backend would (HMACs and ciphertext), so it also lets tests act
/// as a malicious host through `rawRows` / `setRawValue`.
public final class InMemoryBackend: StorageBackend, Sendable {
    private struct RowKey: Hashable {
        let namespace: [UInt8]
        let name: [UInt8]
    }

    /// Everything stored, behind one lock.
    private struct Tables {
        var rows: [RowKey: (sealedName: [UInt8], value: [UInt8])] = [:]
        var apps: [[UInt8]: [UInt8]] = [:]
    }

    private let tables = Mutex(Tables())
    /// Opened values of this store: its writes all go through this object.
    public let openedValueCache: OpenedValueCache? = OpenedValueCache()

    /// An empty store.
    public init() {}

    /// The sealed value of row `name` in `namespace`, or nil.
    public func value(namespace: [UInt8], name: [UInt8]) throws -> [UInt8]? {
        tables.withLock { tables in tables.rows[RowKey(namespace: namespace, name: name)]?.value }
    }

    /// Applies `writes` under one lock hold (atomic for readers of this process).
    public func apply(namespace: [UInt8], writes: [StorageWrite]) throws {
        // Bracketed for the cache like a durable write: see `OpenedValueCache`.
        guard let cache = openedValueCache else { return store(writes, namespace: namespace) }
        cache.writing(namespace: namespace, writes: writes) { store(writes, namespace: namespace) }
    }

    private func store(_ writes: [StorageWrite], namespace: [UInt8]) {
        tables.withLock { tables in
            for write in writes {
                switch write {
                case .put(let name, let sealedName, let value):
                    tables.rows[RowKey(namespace: namespace, name: name)] = (sealedName, value)
                case .insert(let name, let sealedName, let value):
                    let key = RowKey(namespace: namespace, name: name)
                    if tables.rows[key] == nil { tables.rows[key] = (sealedName, value) }
                case .delete(let name):
                    tables.rows[RowKey(namespace: namespace, name: name)] = nil
                }
            }
        }
    }

    /// Every row name of `namespace` with its sealed logical name.
    public func names(namespace: [UInt8]) throws -> [StoredName] {
        tables.withLock { tables in
            tables.rows.compactMap { key, row in
                key.namespace == namespace ? StoredName(name: key.name, sealedName: row.sealedName) : nil
            }
        }
    }

    /// The number of rows in `namespace`.
    public func count(namespace: [UInt8]) throws -> Int {
        tables.withLock { tables in tables.rows.keys.filter { $0.namespace == namespace }.count }
    }

    /// Rows of `namespace` and the bytes of their sealed values and names.
    public func usage(namespace: [UInt8]) throws -> StorageUsage {
        tables.withLock { tables in
            tables.rows.reduce(into: StorageUsage(entries: 0, bytes: 0)) { usage, row in
                guard row.key.namespace == namespace else { return }
                usage.entries += 1
                usage.bytes += row.value.sealedName.count + row.value.value.count
            }
        }
    }

    /// The bytes of row `name`'s sealed value and name.
    public func storedSize(namespace: [UInt8], name: [UInt8]) throws -> Int? {
        tables.withLock { tables in tables.rows[RowKey(namespace: namespace, name: name)].map { $0.sealedName.count + $0.value.count } }
    }

    /// The sealed app record stored under `id`, or nil.
    public func appRecord(id: [UInt8]) throws -> [UInt8]? {
        tables.withLock { tables in tables.apps[id] }
    }

    /// Inserts or replaces a sealed app record.
    public func putAppRecord(id: [UInt8], record: [UInt8]) throws {
        tables.withLock { tables in tables.apps[id] = record }
    }

    /// Every sealed app record.
    public func allAppRecords() throws -> [(id: [UInt8], record: [UInt8])] {
        tables.withLock { tables in tables.apps.map { (id: $0.key, record: $0.value) } }
    }

    /// Removes app record `id` and optionally its rows.
    public func removeApp(id: [UInt8], deletingNamespace namespace: [UInt8]?) throws -> Bool {
        let remove = {
            self.tables.withLock { tables in
                let removed = tables.apps.removeValue(forKey: id) != nil
                if let namespace {
                    tables.rows = tables.rows.filter { $0.key.namespace != namespace }
                }
                return removed
            }
        }
        guard let namespace, let cache = openedValueCache else { return remove() }
        return cache.writingAll(namespace: namespace, remove)
    }

    // MARK: - Hostile-host hooks for tests

    /// Every stored row as (namespace, name, sealed name, sealed value).
    public func rawRows() -> [(namespace: [UInt8], name: [UInt8], sealedName: [UInt8], value: [UInt8])] {
        tables.withLock { tables in tables.rows.map { ($0.key.namespace, $0.key.name, $0.value.sealedName, $0.value.value) } }
    }

    /// Overwrites the sealed value of an existing row, as a malicious host could.
    public func setRawValue(namespace: [UInt8], name: [UInt8], value: [UInt8]) {
        tables.withLock { tables in
            let key = RowKey(namespace: namespace, name: name)
            if let row = tables.rows[key] { tables.rows[key] = (row.sealedName, value) }
        }
        // The alteration must be seen by the next read, as on a disk the host edits.
        openedValueCache?.remove(namespace: namespace)
    }
}
