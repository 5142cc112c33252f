import Synchronization

/// Opened (decrypted) values recently read through `SealedKV.get`, and rows found absent, kept
/// inside the enclave (keyed by namespace and row name) so a repeated read skips the backend
/// read and the AES-GCM open.
///
/// A backend that this process alone writes offers one (`StorageBackend.openedValueCache`):
/// SQLite while the server holds the data-directory lock, and the in-memory backend. A shared
/// backend (PostgreSQL) offers a *leased* one (`leased: true`): another server may change a row
/// at any time, so a namespace's entries are served and stored only while this process holds a
/// read lease on it that every other writer must revoke before it acknowledges a write
/// (`PostgresReadLeases`). Its deadline, on the monotonic clock, is kept here so that a lookup
/// checks it under the same lock as the entry.
///
/// Consistency: an entry is what this process knows the committed row to be: a value or an
/// absence read from the backend, or what one of its own writes committed (a `put`'s stored
/// size, which answers only size lookups, never `lookup`; a `delete`'s absence). A read that
/// raced a write must not put back what it read before the write: the backend brackets every
/// write with `beginWrite` and `endWrite`, each of which advances a generation, and a read
/// stores its value only if no write is in flight and the generation it saw before reading the
/// backend is still current. (Checking the generation alone is not enough: a reader that read
/// the old row just before the commit could store it after another reader had already read the
/// new row, and later readers would go back in time.) A write that committed records its rows
/// at `endWrite` only when its commit is known to be the row's latest (`RowWriteTracker`): no
/// other write of the row overlapped it here, and, on a leased cache, the namespace's lease was
/// live when it began and held without a break until it ended, so a later write by another
/// server must revoke that lease, and wait until this process dropped the entry, before it is
/// acknowledged (this server's own commits do not revoke its lease). Otherwise, and when the
/// commit failed (it may or may not have reached the backend) or its outcome per row is
/// unknown (an `insert`), the backend forgets the rows, so no write path above it can leave a
/// stale entry; the whole namespace goes when an app's rows are removed.
///
/// Bounded: `maxBytes` over all entries (values, keys and a per-entry overhead), values over
/// `maxEntryBytes` are not kept; when full, the least recently used entries go first (in a
/// batch, down to three quarters of the cap, so eviction costs O(log n) per insert amortised).
public final class OpenedValueCache: Sendable {
    /// Default cap on the bytes kept for one store.
    public static let defaultMaxBytes = 4 << 20
    /// Largest value kept; bigger ones are read from the backend every time.
    public static let maxEntryBytes = 64 << 10
    /// Bytes counted per entry beyond its key and value (dictionary slot, array headers).
    static let entryOverhead = 96

    /// A row: its namespace and name (an HMAC of the logical key under the app's key).
    struct RowKey: Hashable {
        let namespace: [UInt8]
        let name: [UInt8]

        /// Hashes the bytes in one call rather than one `combine` per byte (the default for
        /// arrays, which showed in profiles of `kv-read`); equality still compares them all.
        func hash(into hasher: inout Hasher) {
            namespace.withUnsafeBytes { hasher.combine(bytes: $0) }
            name.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    /// What an entry knows of its row.
    private enum Content {
        /// The opened value.
        case value([UInt8])
        /// The row is absent.
        case absent
        /// Only the row's stored size (sealed value and sealed name): answers size lookups only.
        case storedSize(Int)
    }

    private struct Entry {
        var content: Content
        var bytes: Int
        var lastUse: UInt64
    }

    private struct State {
        var enabled: Bool
        var entries: [RowKey: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
        var generation: UInt64 = 0
        /// Writes between `beginWrite` and `endWrite`: while any is, reads store nothing.
        var writesInFlight = 0
        var rowWrites = RowWriteTracker()
        var hits = 0
        var misses = 0
        /// Leased caches only: the instant (`LeaseClock`) until which each namespace may be
        /// served; nil for a cache that needs no lease.
        var leaseDeadlines: [HashedBytes: UInt64]?

        /// Whether `namespace`'s entries may be used now.
        func mayUse(_ namespace: [UInt8]) -> Bool {
            guard enabled else { return false }
            guard let leaseDeadlines else { return true }
            guard let deadline = leaseDeadlines[HashedBytes(namespace)] else { return false }
            return LeaseClock.now() < deadline
        }

        /// The entry of `key` if `namespace` may be served, counting a hit or a miss.
        mutating func use(_ key: RowKey, answers: (Content) -> Bool) -> Content? {
            guard mayUse(key.namespace), let index = entries.index(forKey: key), answers(entries.values[index].content) else {
                misses += 1
                return nil
            }
            clock += 1
            hits += 1
            entries.values[index].lastUse = clock
            return entries.values[index].content
        }
    }

    /// What a lookup found.
    public enum Lookup: Equatable, Sendable {
        /// Not cached: read the backend.
        case miss(generation: UInt64)
        /// Cached: the value, or nil for a row known to be absent.
        case hit([UInt8]?)
    }

    /// What a size lookup found.
    public enum SizeLookup: Equatable, Sendable {
        /// Not cached: ask the backend.
        case miss(generation: UInt64)
        /// The row is absent.
        case absent
        /// The length of the row's opened value.
        case opened(Int)
        /// The row's stored size (sealed value and sealed name), as `StorageBackend.storedSize`.
        case stored(Int)
    }

    /// The cap in force.
    public let maxBytes: Int
    private let state: Mutex<State>

    /// A cache capped at `maxBytes`; a disabled one (`enabled: false`) keeps nothing until
    /// `setEnabled(true)`; a `leased` one serves a namespace only between `grantLease` and its
    /// deadline.
    public init(maxBytes: Int = OpenedValueCache.defaultMaxBytes, enabled: Bool = true, leased: Bool = false) {
        self.maxBytes = maxBytes
        self.state = Mutex(State(enabled: enabled, leaseDeadlines: leased ? [:] : nil))
    }

    /// Turns caching on (the backend became the sole writer) or off (it was closed or
    /// released its lock); turning it off drops every entry.
    public func setEnabled(_ enabled: Bool) {
        state.withLock { state in
            state.enabled = enabled
            if !enabled { Self.dropAll(&state) }
        }
    }

    /// The cached value of row `name` in `namespace`, or a miss carrying the generation to pass to
    /// `store` after reading the backend. An entry that knows only the row's size is a miss.
    public func lookup(namespace: [UInt8], name: [UInt8]) -> Lookup {
        state.withLock { state in
            switch state.use(RowKey(namespace: namespace, name: name), answers: { if case .storedSize = $0 { false } else { true } }) {
            case .value(let value): .hit(value)
            case .absent: .hit(nil)
            case .storedSize, nil: .miss(generation: state.generation)
            }
        }
    }

    /// What the cache knows of the size of row `name` in `namespace`, or a miss carrying the
    /// generation to pass to `storeSize` after asking the backend.
    public func lookupSize(namespace: [UInt8], name: [UInt8]) -> SizeLookup {
        state.withLock { state in
            switch state.use(RowKey(namespace: namespace, name: name), answers: { _ in true }) {
            case .value(let value): .opened(value.count)
            case .absent: .absent
            case .storedSize(let size): .stored(size)
            case nil: .miss(generation: state.generation)
            }
        }
    }

    /// Keeps `value` (nil: absent) read from the backend for row `name`, unless a write is in
    /// flight or one began since `generation` was handed out (the read may predate that write).
    public func store(_ value: [UInt8]?, namespace: [UInt8], name: [UInt8], readAt generation: UInt64) {
        guard (value?.count ?? 0) <= Self.maxEntryBytes else { return }
        state.withLock { state in
            guard state.writesInFlight == 0, state.generation == generation, state.mayUse(namespace) else { return }
            put(&state, RowKey(namespace: namespace, name: name), value.map(Content.value) ?? .absent)
        }
    }

    /// Keeps the stored size the backend answered for row `name`, under the rule of `store`; a
    /// value already kept for the row stays (it answers sizes too). An answer "absent" (nil) is
    /// not kept: the size query is not authenticated (the host answers it), and an absence kept
    /// would answer `lookup`, so a host's lie would decide what later readers see.
    public func storeSize(_ stored: Int?, namespace: [UInt8], name: [UInt8], readAt generation: UInt64) {
        guard let stored, stored >= 0 else { return }
        state.withLock { state in
            guard state.writesInFlight == 0, state.generation == generation, state.mayUse(namespace) else { return }
            let key = RowKey(namespace: namespace, name: name)
            if case .value = state.entries[key]?.content { return }
            put(&state, key, .storedSize(stored))
        }
    }

    /// Marks a write of rows `names` of `namespace` (nil: all of them) about to reach the
    /// backend: until its `endWrite`, no read stores what it read. A backend calls it before it
    /// starts a write.
    public func beginWrite(namespace: [UInt8], names: [[UInt8]]?) {
        state.withLock { state in
            state.generation &+= 1
            state.writesInFlight += 1
            state.rowWrites.begin(namespace: namespace, names: names, servable: state.mayUse(namespace))
        }
    }

    /// Ends a write begun with `beginWrite` (the same `namespace`, and `writes`' row names, or
    /// nil for every row of `namespace`) once it has committed or failed. Records what a
    /// `committed` write left in each row when that is known to be the row's latest state
    /// (see the type's comment); forgets every other row it touched.
    public func endWrite(namespace: [UInt8], writes: [StorageWrite]?, committed: Bool) {
        state.withLock { state in
            state.writesInFlight -= 1
            let recordable = state.rowWrites.end(namespace: namespace, names: writes?.map(\.rowName))
            guard let writes, let recordable else { return Self.forget(&state, namespace: namespace) }
            state.generation &+= 1
            let servable = committed && state.mayUse(namespace)
            for (write, mayRecord) in zip(writes, recordable) {
                let key = RowKey(namespace: namespace, name: write.rowName)
                switch write {
                case .put(_, let sealedName, let value) where servable && mayRecord:
                    put(&state, key, .storedSize(sealedName.count + value.count))
                case .delete where servable && mayRecord:
                    put(&state, key, .absent)
                default:
                    if let old = state.entries.removeValue(forKey: key) { state.bytes -= old.bytes }
                }
            }
        }
    }

    /// Runs `write`, the commit of `writes` to `namespace`, between `beginWrite` and `endWrite`.
    public func writing<T>(namespace: [UInt8], writes: [StorageWrite], _ write: () throws -> T) rethrows -> T {
        beginWrite(namespace: namespace, names: writes.map(\.rowName))
        var committed = false
        defer { endWrite(namespace: namespace, writes: writes, committed: committed) }
        let result = try write()
        committed = true
        return result
    }

    /// Runs `write`, which changes any rows of `namespace`, between `beginWrite` and `endWrite`.
    public func writingAll<T>(namespace: [UInt8], _ write: () throws -> T) rethrows -> T {
        beginWrite(namespace: namespace, names: nil)
        defer { endWrite(namespace: namespace, writes: nil, committed: false) }
        return try write()
    }

    // MARK: - Read leases (leased caches only)

    /// Lets `namespace` be served until `deadline` (`LeaseClock`), keeping its entries only when
    /// `keepEntries` (the lease continued one held without a break); otherwise they are dropped,
    /// and writes in flight on it record nothing (another server's later write may precede the
    /// grant). Advances the generation either way: a read that began before the grant stores
    /// nothing.
    func grantLease(namespace: [UInt8], until deadline: UInt64, keepEntries: Bool) {
        state.withLock { state in
            guard state.leaseDeadlines != nil else { return }
            state.generation &+= 1
            if !keepEntries { Self.forget(&state, namespace: namespace) }
            state.leaseDeadlines?[HashedBytes(namespace)] = deadline
        }
    }

    /// Stops serving `namespace` and drops its entries (its lease was revoked, lapsed or evicted).
    func endLease(namespace: [UInt8]) {
        state.withLock { state in
            state.leaseDeadlines?[HashedBytes(namespace)] = nil
            Self.forget(&state, namespace: namespace)
        }
    }

    /// Ends every lease and drops every entry (the lease listener was lost, or the store closed).
    func endAllLeases() {
        state.withLock { state in
            if state.leaseDeadlines != nil { state.leaseDeadlines = [:] }
            Self.dropAll(&state)
        }
    }

    /// Forgets every entry of `namespace` (the app's key was dropped, or its rows were altered
    /// wholesale).
    public func remove(namespace: [UInt8]) {
        state.withLock { Self.forget(&$0, namespace: namespace) }
    }

    /// Drops every entry of `namespace`; writes in flight on it record nothing.
    private static func forget(_ state: inout State, namespace: [UInt8]) {
        state.generation &+= 1
        state.rowWrites.spoil(namespace: namespace)
        for key in state.entries.keys where key.namespace == namespace {
            if let old = state.entries.removeValue(forKey: key) { state.bytes -= old.bytes }
        }
    }

    /// Entries, bytes counted, hits and misses (for tests and the bench).
    public var statistics: (entries: Int, bytes: Int, hits: Int, misses: Int) {
        state.withLock { ($0.entries.count, $0.bytes, $0.hits, $0.misses) }
    }

    private static func dropAll(_ state: inout State) {
        state.generation &+= 1
        state.rowWrites.spoilAll()
        state.entries.removeAll()
        state.bytes = 0
    }

    /// Keeps `content` for `key`, replacing what was kept, within the caps.
    private func put(_ state: inout State, _ key: RowKey, _ content: Content) {
        var bytes = Self.entryOverhead + key.namespace.count + key.name.count
        if case .value(let value) = content { bytes += value.count }
        if let old = state.entries.removeValue(forKey: key) { state.bytes -= old.bytes }
        guard bytes <= maxBytes else { return }
        state.clock += 1
        state.entries[key] = Entry(content: content, bytes: bytes, lastUse: state.clock)
        state.bytes += bytes
        if state.bytes > maxBytes { evict(&state) }
    }

    /// Drops the least recently used entries until a quarter of the cap is free.
    private func evict(_ state: inout State) {
        let target = maxBytes / 4 * 3
        let oldestFirst = state.entries.sorted { $0.value.lastUse < $1.value.lastUse }
        for (key, entry) in oldestFirst {
            guard state.bytes > target else { break }
            state.entries.removeValue(forKey: key)
            state.bytes -= entry.bytes
        }
    }
}
