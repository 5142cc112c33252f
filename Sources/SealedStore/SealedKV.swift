import Foundation
import Synchronization

/// Size caps for what a guest may store; guests are hostile, so every input is bounded.
public struct SealedKVLimits: Sendable, Equatable {
    /// Longest logical key in bytes (a `fs:` path under PATH_MAX fits).
    public var maxKeyBytes: Int
    /// Largest value in bytes.
    public var maxValueBytes: Int
    /// Most writes in one atomic batch.
    public var maxBatchWrites: Int
    /// The app's quota: bytes kept (sealed values and names), `Int.max` for none.
    public var maxStoredBytes: Int
    /// The app's quota: entries kept, `Int.max` for none.
    public var maxEntries: Int

    /// Defaults: 4 KiB keys, 16 MiB values (the wire frame cap), 1024 writes per batch, no quota
    /// (the server sets one from its options).
    public static let `default` = SealedKVLimits(maxKeyBytes: 4096, maxValueBytes: 16 << 20, maxBatchWrites: 1024)

    /// Explicit limits.
    public init(maxKeyBytes: Int, maxValueBytes: Int, maxBatchWrites: Int, maxStoredBytes: Int = .max,
                maxEntries: Int = .max) {
        self.maxKeyBytes = maxKeyBytes
        self.maxValueBytes = maxValueBytes
        self.maxBatchWrites = maxBatchWrites
        self.maxStoredBytes = maxStoredBytes
        self.maxEntries = maxEntries
    }
}

/// One app's encrypted key-value namespace (docs/sdk.md, sealed store). Synchronous and thread-safe: the WASI host
/// calls it from inside a WebAssembly call on a worker thread.
///
/// Listing and its leakage trade-off: stored names are HMACs, so a listing cannot be answered from
/// them. Each row therefore also carries its logical name sealed under a separate index key
/// (padded to 32-byte buckets). `keys(withPrefix:)` reads the app's rows' sealed names (not the
/// values) and filters after decryption: O(entries of this app) per listing, no extra write per
/// put, and no single index blob whose rewrite would make every put O(n) or could be torn.
/// What the host learns: which rows belong to the same (app, key) pair (the namespace column,
/// which it could infer from access patterns anyway), the number of entries, each value's size
/// and each name's size bucket, and when rows change. It never learns names, values, or which
/// rows share a directory. Rollback of the whole file, or deletion of rows, is not detectable
/// (no freshness counter); a row moved, swapped, truncated or altered is.
public final class SealedKV: Sendable {
    /// One change in an atomic batch.
    public enum Mutation: Sendable, Equatable {
        /// Set `key` to `value`.
        case put(key: [UInt8], value: [UInt8])
        /// Set `key` to `value` only if `key` has no value; an existing value is kept. Checked
        /// by the backend inside the commit, so a concurrent creator (another call, another
        /// node) is never overwritten by a create based on an older lookup.
        case create(key: [UInt8], value: [UInt8])
        /// Remove `key` if present.
        case delete(key: [UInt8])
    }

    /// The app this namespace belongs to.
    public let appName: String
    /// The caps enforced on every call.
    public let limits: SealedKVLimits
    private let backend: any StorageBackend
    /// nil once the app has been removed and its key destroyed.
    private let keys: Mutex<DerivedAppKeys?>
    /// Counts the app's usage against `limits.maxStoredBytes` / `maxEntries`.
    private let quota: StorageQuotaMeter
    /// Row names and sealed names of recently written keys, so a rewrite skips their HMAC and
    /// AES-GCM seal (see `RowNameCache`).
    private let rowNames = RowNameCache()

    /// A handle on `appName`'s entries under `appKey`. Prefer `SealedStore.kv(for:)`, which shares
    /// one handle per app and closes it when the app is removed. `quotaReport` hears of writes
    /// refused by the quota (for the server's log).
    public init(appName: String, appKey: AppKey, backend: any StorageBackend, limits: SealedKVLimits = .default,
                quotaReport: (@Sendable (QuotaRefusal) -> Void)? = nil) throws {
        try AppNameRule.validate(appName)
        self.appName = appName
        self.limits = limits
        self.backend = backend
        self.keys = Mutex(DerivedAppKeys(appKey: appKey, appName: appName))
        self.quota = StorageQuotaMeter(appName: appName, maxBytes: limits.maxStoredBytes, maxEntries: limits.maxEntries,
                                       report: quotaReport)
    }

    /// Drops the derived keys (their storage is wiped when the last copy goes); later calls throw
    /// `appRemoved`.
    public func close() {
        let closed = keys.withLock { keys in
            defer { keys = nil }
            return keys
        }
        // The app's key is gone: so are its opened values (a re-added app reads them again).
        if let closed { backend.openedValueCache?.remove(namespace: closed.namespace) }
    }

    private func currentKeys() throws -> DerivedAppKeys {
        guard let keys = keys.withLock({ $0 }) else { throw SealedStoreError.appRemoved(appName) }
        return keys
    }

    /// The namespace id of this handle (an HMAC, safe to compare); throws once closed.
    func namespaceID() throws -> [UInt8] {
        try currentKeys().namespace
    }

    private func check(key: [UInt8]) throws {
        guard !key.isEmpty else { throw SealedStoreError.invalidInput("key must not be empty") }
        guard key.count <= limits.maxKeyBytes else {
            throw SealedStoreError.invalidInput("key is \(key.count) bytes; the limit is \(limits.maxKeyBytes)")
        }
    }

    private func check(value: [UInt8]) throws {
        guard value.count <= limits.maxValueBytes else {
            throw SealedStoreError.invalidInput("value is \(value.count) bytes; the limit is \(limits.maxValueBytes)")
        }
    }

    /// The value stored under `key`, or nil if there is none.
    /// - Throws: `integrity` if the stored bytes were altered, truncated or moved.
    /// Answered from the backend's `openedValueCache` when it has one and holds `key`.
    public func get(_ key: [UInt8]) throws -> [UInt8]? {
        try check(key: key)
        let keys = try currentKeys()
        let name = rowNames.rowName(for: key, keys)
        guard let cache = backend.openedValueCache else { return try read(key, row: name, keys) }
        backend.willRead(namespace: keys.namespace)
        switch cache.lookup(namespace: keys.namespace, name: name) {
        case .hit(let value):
            return value
        case .miss(let generation):
            let value = try read(key, row: name, keys)
            cache.store(value, namespace: keys.namespace, name: name, readAt: generation)
            return value
        }
    }

    /// The size in bytes of the value stored under `key`, or nil if there is none, without
    /// reading or opening the value: from the opened-value cache when it knows the row (an
    /// opened value, or the stored size this process read or last committed), else from the
    /// stored row's length. Not authenticated: the host could lie about a size or whether the
    /// row exists (as it can always delete rows); use it only where the value is about to be
    /// replaced, never to decide what a reader sees.
    public func valueSize(_ key: [UInt8]) throws -> Int? {
        try check(key: key)
        let keys = try currentKeys()
        let name = rowNames.rowName(for: key, keys)
        guard let cache = backend.openedValueCache else {
            return try Self.plainSize(stored: backend.storedSize(namespace: keys.namespace, name: name), key: key)
        }
        backend.willRead(namespace: keys.namespace)
        switch cache.lookupSize(namespace: keys.namespace, name: name) {
        case .absent:
            return nil
        case .opened(let count):
            return count
        case .stored(let stored):
            return try Self.plainSize(stored: stored, key: key)
        case .miss(let generation):
            let stored = try backend.storedSize(namespace: keys.namespace, name: name)
            let size = try Self.plainSize(stored: stored, key: key)
            cache.storeSize(stored, namespace: keys.namespace, name: name, readAt: generation)
            return size
        }
    }

    /// The value's length for row size `stored` (sealed value and sealed name) of `key`.
    private static func plainSize(stored: Int?, key: [UInt8]) throws -> Int? {
        guard let stored else { return nil }
        // The host answers the size: a negative one is a lie (and would overflow below).
        guard stored >= 0 else { throw SealedStoreError.integrity("the store reported a negative size (\(stored)) for a row") }
        return max(0, stored - DerivedAppKeys.sealedSize(keyCount: key.count, valueCount: 0))
    }

    /// `key`'s value (in row `name`) read from the backend and opened.
    private func read(_ key: [UInt8], row name: [UInt8], _ keys: DerivedAppKeys) throws -> [UInt8]? {
        guard let sealed = try backend.value(namespace: keys.namespace, name: name) else { return nil }
        return try keys.openValue(sealed, key: key)
    }

    /// Stores `value` under `key`, replacing any previous value, in one atomic commit.
    public func put(_ key: [UInt8], _ value: [UInt8]) throws {
        try apply([.put(key: key, value: value)])
    }

    /// Removes `key`. Returns whether it existed.
    @discardableResult
    public func delete(_ key: [UInt8]) throws -> Bool {
        try check(key: key)
        let keys = try currentKeys()
        let name = rowNames.rowName(for: key, keys)
        guard try backend.value(namespace: keys.namespace, name: name) != nil else { return false }
        try commit([.delete(name: name)], namespace: keys.namespace)
        return true
    }

    /// Writes `writes` through the quota meter (or straight through when no quota applies).
    /// The backend updates its opened-value cache for the rows it writes (`OpenedValueCache.endWrite`).
    private func commit(_ writes: [StorageWrite], namespace: [UInt8]) throws {
        guard quota.isLimited else {
            try backend.apply(namespace: namespace, writes: writes)
            return
        }
        try quota.apply(writes,
                        size: { try backend.storedSize(namespace: namespace, name: $0) },
                        measure: { try backend.usage(namespace: namespace) },
                        commit: { try backend.apply(namespace: namespace, writes: writes) })
    }

    /// Throws `quotaExceeded` (reported like a refused write) when `growth` more bytes would
    /// not fit the app's byte quota: lets a buffering writer fail at the write that overflows
    /// rather than only when it writes back. No-op without a byte quota.
    public func checkQuota(growingBy growth: Int) throws {
        try quota.checkGrowth(growth) { try backend.usage(namespace: currentKeys().namespace) }
    }

    /// Throws `quotaExceeded` (reported like a refused write) when `entries` (new keys and
    /// their value sizes) would not fit the app's quota (entries, and bytes as stored: sealed
    /// value and sealed name): lets a writer that buffers a new file fail where it creates it,
    /// as writing the entries at once would. No-op without a quota.
    public func checkQuota(creating entries: [(key: [UInt8], valueBytes: Int)]) throws {
        guard quota.isLimited else { return }
        let bytes = entries.reduce(0) { $0 + DerivedAppKeys.sealedSize(keyCount: $1.key.count, valueCount: $1.valueBytes) }
        try quota.checkGrowth(bytes, newEntries: entries.count) { try backend.usage(namespace: currentKeys().namespace) }
    }

    /// What this app keeps in the store now: counted by the quota meter once it has seen a
    /// write, else read from the backend.
    public func usage() throws -> StorageUsage {
        if let counted = quota.counted { return counted }
        return try backend.usage(namespace: currentKeys().namespace)
    }

    /// Applies every mutation or none (one transaction): lets the filesystem layer rename or
    /// create a file together with its directory marker without a torn state after a crash.
    public func apply(_ mutations: [Mutation]) throws {
        guard mutations.count <= limits.maxBatchWrites else {
            throw SealedStoreError.invalidInput("batch has \(mutations.count) writes; the limit is \(limits.maxBatchWrites)")
        }
        let keys = try currentKeys()
        var writes: [StorageWrite] = []
        writes.reserveCapacity(mutations.count)
        for mutation in mutations {
            switch mutation {
            case .put(let key, let value):
                try check(key: key)
                try check(value: value)
                let row = try rowNames.sealedRow(for: key, keys)
                writes.append(.put(name: row.name, sealedName: row.sealedName, value: try keys.sealValue(value, key: key)))
            case .create(let key, let value):
                try check(key: key)
                try check(value: value)
                let row = try rowNames.sealedRow(for: key, keys)
                writes.append(.insert(name: row.name, sealedName: row.sealedName, value: try keys.sealValue(value, key: key)))
            case .delete(let key):
                try check(key: key)
                writes.append(.delete(name: rowNames.rowName(for: key, keys)))
            }
        }
        try commit(writes, namespace: keys.namespace)
    }

    /// Every logical key starting with `prefix` (bytewise), sorted bytewise. An empty prefix lists
    /// all keys. Cost is O(entries of this app); see the type's comment for what the host learns.
    /// - Throws: `integrity` if any stored name was altered or moved (never silently skipped, so
    ///   a listing cannot be quietly censored by corrupting names).
    public func keys(withPrefix prefix: [UInt8]) throws -> [[UInt8]] {
        guard prefix.count <= limits.maxKeyBytes else {
            throw SealedStoreError.invalidInput("prefix is \(prefix.count) bytes; the limit is \(limits.maxKeyBytes)")
        }
        let keys = try currentKeys()
        var result: [[UInt8]] = []
        for stored in try backend.names(namespace: keys.namespace) {
            let name = try keys.openName(stored.sealedName, rowName: stored.name)
            if name.starts(with: prefix) { result.append(name) }
        }
        return result.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Deletes every entry of this app, in batches of at most `limits.maxBatchWrites` (each
    /// batch atomic, the whole not): for data written under a key that is being thrown away.
    public func removeAll() throws {
        let names = try keys(withPrefix: [])
        var start = 0
        while start < names.count {
            let end = min(names.count, start + max(1, limits.maxBatchWrites))
            try apply(names[start..<end].map { .delete(key: $0) })
            start = end
        }
    }

    /// The number of entries of this app.
    public func count() throws -> Int {
        try backend.count(namespace: currentKeys().namespace)
    }

    // MARK: - String conveniences (keys are UTF-8)

    /// `get` with a UTF-8 key.
    public func get(_ key: String) throws -> [UInt8]? { try get(Array(key.utf8)) }
    /// `valueSize` with a UTF-8 key.
    public func valueSize(_ key: String) throws -> Int? { try valueSize(Array(key.utf8)) }
    /// `put` with a UTF-8 key.
    public func put(_ key: String, _ value: [UInt8]) throws { try put(Array(key.utf8), value) }
    /// `delete` with a UTF-8 key.
    @discardableResult
    public func delete(_ key: String) throws -> Bool { try delete(Array(key.utf8)) }
    /// `keys(withPrefix:)` with UTF-8 keys; keys that are not valid UTF-8 are decoded lossily.
    public func keys(withPrefix prefix: String) throws -> [String] {
        try keys(withPrefix: Array(prefix.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// What an app name may be: non-empty, at most 255 UTF-8 bytes, no control characters.
enum AppNameRule {
    static let maxBytes = 255

    static func validate(_ name: String) throws {
        let count = name.utf8.count
        guard count > 0 else { throw SealedStoreError.invalidInput("app name must not be empty") }
        guard count <= maxBytes else {
            throw SealedStoreError.invalidInput("app name is \(count) bytes; the limit is \(maxBytes)")
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw SealedStoreError.invalidInput("app name contains a control character")
        }
    }
}
