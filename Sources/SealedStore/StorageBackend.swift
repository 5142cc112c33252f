/// One change to a namespace, applied with others atomically by `StorageBackend.apply`.
public enum StorageWrite: Sendable, Equatable {
    /// Insert or replace row `name` with its sealed logical name and sealed value.
    case put(name: [UInt8], sealedName: [UInt8], value: [UInt8])
    /// Insert row `name` only when the namespace has no row of that name; an existing row is
    /// left untouched. Lets a caller create an entry without clobbering one that another call
    /// (or another node) created between its lookup and its write.
    case insert(name: [UInt8], sealedName: [UInt8], value: [UInt8])
    /// Remove row `name` if present.
    case delete(name: [UInt8])

    /// The row this write changes.
    public var rowName: [UInt8] {
        switch self {
        case .put(let name, _, _), .insert(let name, _, _), .delete(let name): name
        }
    }
}

/// A row as listed by `StorageBackend.names(namespace:)`: values are not read when listing.
public struct StoredName: Sendable, Equatable {
    /// The HMAC'd row name.
    public let name: [UInt8]
    /// The sealed logical name stored beside it.
    public let sealedName: [UInt8]

    /// Plain memberwise initializer for backends.
    public init(name: [UInt8], sealedName: [UInt8]) {
        self.name = name
        self.sealedName = sealedName
    }
}

/// Where ciphertext lives. Implementations see only HMACs and sealed bytes, never plaintext;
/// they must make each `apply` / `removeApp` all-or-nothing, durable once it returns, and be
/// safe to call from many threads (the WASI host calls synchronously from worker threads, never
/// from an event loop).
///
/// Row values are cached above a backend only when it offers an `openedValueCache`: a backend
/// that this process alone writes, or a shared one (PostgreSQL) whose cache serves a namespace
/// only under a read lease that every other server revokes before it acknowledges a write, so a
/// write committed through one server is read through any other.
public protocol StorageBackend: AnyObject, Sendable {
    /// Where `SealedKV` keeps opened values, or nil when another process may write the store
    /// (then every read goes to the backend). Non-nil only for a backend whose writes all go
    /// through this object, which brackets every `apply` with `OpenedValueCache.writing` (the
    /// rows written are recorded or forgotten once the commit returned or failed) and every
    /// `removeApp` with `writingAll`.
    var openedValueCache: OpenedValueCache? { get }

    /// Called before a read of `namespace` that may use `openedValueCache`: a backend whose cache
    /// is leased takes or renews the namespace's lease here.
    func willRead(namespace: [UInt8])

    /// The sealed value of row `name` in `namespace`, or nil.
    func value(namespace: [UInt8], name: [UInt8]) throws -> [UInt8]?
    /// Applies all `writes` to `namespace` in one atomic transaction.
    func apply(namespace: [UInt8], writes: [StorageWrite]) throws
    /// Every row of `namespace` (name and sealed name), in unspecified order.
    func names(namespace: [UInt8]) throws -> [StoredName]
    /// The number of rows in `namespace` (used by tests and metrics).
    func count(namespace: [UInt8]) throws -> Int
    /// The rows of `namespace` and the bytes they hold (sealed values and sealed names), for
    /// quotas. A default reads every row; backends answer it with one query.
    func usage(namespace: [UInt8]) throws -> StorageUsage
    /// The bytes row `name` holds (sealed value and sealed name), or nil when absent.
    func storedSize(namespace: [UInt8], name: [UInt8]) throws -> Int?

    /// The sealed app record stored under `id`, or nil.
    func appRecord(id: [UInt8]) throws -> [UInt8]?
    /// Inserts or replaces a sealed app record.
    func putAppRecord(id: [UInt8], record: [UInt8]) throws
    /// Inserts a sealed app record only if none is stored under `id`; returns whether it did.
    /// Atomic on a shared backend, so two servers loading the same name cannot both win.
    func addAppRecord(id: [UInt8], record: [UInt8]) throws -> Bool
    /// Every sealed app record, in unspecified order.
    func allAppRecords() throws -> [(id: [UInt8], record: [UInt8])]
    /// Removes app record `id` and, when `namespace` is given, all of its rows — atomically, so a
    /// crash never leaves a registered app without data or orphaned rows of a removed app.
    /// Returns whether a record was removed.
    func removeApp(id: [UInt8], deletingNamespace namespace: [UInt8]?) throws -> Bool
    /// Releases files and connections; later calls fail with a `backend` error.
    func close()
}

extension StorageBackend {
    /// Check, then insert: enough for a backend that one process owns, whose registry
    /// serialises loads; shared backends override it with one atomic statement.
    public func addAppRecord(id: [UInt8], record: [UInt8]) throws -> Bool {
        guard try appRecord(id: id) == nil else { return false }
        try putAppRecord(id: id, record: record)
        return true
    }

    /// Nothing to release.
    public func close() {}

    /// No cache: another writer may exist.
    public var openedValueCache: OpenedValueCache? { nil }

    /// No lease to take.
    public func willRead(namespace: [UInt8]) {}
}
