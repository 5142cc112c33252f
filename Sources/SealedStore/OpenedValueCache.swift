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
/// Consistency: an entry is only ever a value read from the backend, so it is committed; writes
/// never fill the cache. The backend itself removes every row it writes once the commit has
/// returned or failed (so no write path above it can forget to), and the whole namespace when
/// an app's rows are removed. A read that raced a write must not put back what it read before
/// the write: the backend brackets every write with `beginWrite` and `endWrite`, each of which
/// advances a generation, and a read stores its value only if no write is in flight and the
/// generation it saw before reading the backend is still current. (Checking the generation
/// alone is not enough: a reader that read the old row just before the commit could store it
/// after another reader had already read the new row, and later readers would go back in time.)
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

    private struct Key: Hashable {
        let namespace: [UInt8]
        /// The row name (an HMAC of the logical key under the app's key).
        let name: [UInt8]

        /// Hashes the bytes in one call rather than one `combine` per byte (the default for
        /// arrays, which showed in profiles of `kv-read`); equality still compares them all.
        func hash(into hasher: inout Hasher) {
            namespace.withUnsafeBytes { hasher.combine(bytes: $0) }
            name.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    private struct Entry {
        /// nil: the row was absent.
        var value: [UInt8]?
        var bytes: Int
        var lastUse: UInt64
    }

    private struct State {
        var enabled: Bool
        var entries: [Key: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
        var generation: UInt64 = 0
        /// Writes between `beginWrite` and `endWrite`: while any is, reads store nothing.
        var writesInFlight = 0
        var hits = 0
        var misses = 0
        /// Leased caches only: the instant (`LeaseClock`) until which each namespace may be
        /// served; nil for a cache that needs no lease.
        var leaseDeadlines: [HashedBytes: UInt64]?

        /// Whether `namespace`'s entries may be used now.
        func mayUse(_ namespace: [UInt8]) -> Bool {
            guard let leaseDeadlines else { return true }
            guard let deadline = leaseDeadlines[HashedBytes(namespace)] else { return false }
            return LeaseClock.now() < deadline
        }
    }

    /// What a lookup found.
    public enum Lookup: Equatable, Sendable {
        /// Not cached: read the backend.
        case miss(generation: UInt64)
        /// Cached: the value, or nil for a row known to be absent.
        case hit([UInt8]?)
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
    /// `store` after reading the backend.
    public func lookup(namespace: [UInt8], name: [UInt8]) -> Lookup {
        state.withLock { state in
            guard state.enabled, state.mayUse(namespace),
                  let index = state.entries.index(forKey: Key(namespace: namespace, name: name)) else {
                state.misses += 1
                return .miss(generation: state.generation)
            }
            state.clock += 1
            state.hits += 1
            state.entries.values[index].lastUse = state.clock
            return .hit(state.entries.values[index].value)
        }
    }

    /// Keeps `value` (nil: absent) read from the backend for row `name`, unless a write is in
    /// flight or one began since `generation` was handed out (the read may predate that write).
    public func store(_ value: [UInt8]?, namespace: [UInt8], name: [UInt8], readAt generation: UInt64) {
        let bytes = Self.entryOverhead + namespace.count + name.count + (value?.count ?? 0)
        guard (value?.count ?? 0) <= Self.maxEntryBytes, bytes <= maxBytes else { return }
        state.withLock { state in
            guard state.enabled, state.writesInFlight == 0, state.generation == generation, state.mayUse(namespace) else { return }
            state.clock += 1
            let entryKey = Key(namespace: namespace, name: name)
            if let old = state.entries[entryKey] { state.bytes -= old.bytes }
            state.entries[entryKey] = Entry(value: value, bytes: bytes, lastUse: state.clock)
            state.bytes += bytes
            if state.bytes > maxBytes { evict(&state) }
        }
    }

    /// Marks a write about to reach the backend: until its `endWrite`, no read stores what it
    /// read. A backend calls it before it starts a write of rows.
    public func beginWrite() {
        state.withLock { state in
            state.generation &+= 1
            state.writesInFlight += 1
        }
    }

    /// Ends a write begun with `beginWrite`, once it has committed or failed, forgetting the rows
    /// it touched: `names` of `namespace`, or every row of `namespace` when `names` is nil.
    public func endWrite(namespace: [UInt8], names: [[UInt8]]?) {
        state.withLock { state in
            state.writesInFlight -= 1
            Self.forget(&state, namespace: namespace, names: names)
        }
    }

    /// Runs `write` between `beginWrite` and `endWrite` (`names` nil: every row of `namespace`).
    public func writing<T>(namespace: [UInt8], names: @autoclosure () -> [[UInt8]]?, _ write: () throws -> T) rethrows -> T {
        beginWrite()
        defer { endWrite(namespace: namespace, names: names()) }
        return try write()
    }

    // MARK: - Read leases (leased caches only)

    /// Lets `namespace` be served until `deadline` (`LeaseClock`), keeping its entries only when
    /// `keepEntries` (the lease continued one held without a break); otherwise they are dropped.
    /// Advances the generation either way: a read that began before the grant stores nothing.
    func grantLease(namespace: [UInt8], until deadline: UInt64, keepEntries: Bool) {
        state.withLock { state in
            guard state.leaseDeadlines != nil else { return }
            state.generation &+= 1
            if !keepEntries { Self.forget(&state, namespace: namespace, names: nil) }
            state.leaseDeadlines?[HashedBytes(namespace)] = deadline
        }
    }

    /// Stops serving `namespace` and drops its entries (its lease was revoked, lapsed or evicted).
    func endLease(namespace: [UInt8]) {
        state.withLock { state in
            state.leaseDeadlines?[HashedBytes(namespace)] = nil
            Self.forget(&state, namespace: namespace, names: nil)
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
        state.withLock { Self.forget(&$0, namespace: namespace, names: nil) }
    }

    private static func forget(_ state: inout State, namespace: [UInt8], names: [[UInt8]]?) {
        state.generation &+= 1
        guard let names else {
            for key in state.entries.keys where key.namespace == namespace {
                if let old = state.entries.removeValue(forKey: key) { state.bytes -= old.bytes }
            }
            return
        }
        for name in names {
            if let old = state.entries.removeValue(forKey: Key(namespace: namespace, name: name)) { state.bytes -= old.bytes }
        }
    }

    /// Entries, bytes counted, hits and misses (for tests and the bench).
    public var statistics: (entries: Int, bytes: Int, hits: Int, misses: Int) {
        state.withLock { ($0.entries.count, $0.bytes, $0.hits, $0.misses) }
    }

    private static func dropAll(_ state: inout State) {
        state.generation &+= 1
        state.entries.removeAll()
        state.bytes = 0
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
