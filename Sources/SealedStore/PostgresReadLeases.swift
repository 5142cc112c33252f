import Dispatch
import NIOCore
import PostgresNIO
import Synchronization

/// Node-local read caching on the shared PostgreSQL store, kept coherent across nodes by
/// per-namespace **read leases** (docs/cluster.md, "Reads (PostgreSQL): read leases").
///
/// Holder: a node serves a namespace's opened values from its `cache` only while it holds a live
/// lease on it: a row (namespace, node, lease id, expires_at = database `now()` + `duration`) that
/// the database acknowledged. Locally the lease ends at the monotonic instant *before the
/// statement was sent* + `duration` − `margin`, so the node stops trusting it before the database
/// considers it expired (given clocks that run at the same rate). A lease is taken on the first
/// read of a namespace and renewed by reads when less than `renewBefore` is left; a renewal keeps
/// the cached values only if the database confirms the same grant is still live and unrevoked.
/// Every grant advances the cache's generation, so only reads that began after the grant's answer
/// store what they read, and those see every write committed before the lease row.
///
/// Writer: the commit itself marks every live lease of another node on the committed
/// namespaces as revoked and notifies its holder (`PostgresWriteStatement.Revocation`: no extra
/// round trip); before any of its writers is acknowledged, the writer waits until each is
/// released (the holder dropped its values, then deleted its row) or has expired by the
/// database's clock, at most `duration` + `writerSlack`. Advisory locks order grants against
/// commits (`PostgresReadLeaseSQL.functions`): a lease granted before the commit's revocation
/// is revoked; one granted after it waited for the commit, so the reads it covers see the
/// write. Revoked leases are never renewed; a holder only changes its row after dropping what
/// the row covered.
///
/// Losing the `LISTEN` connection ends every lease at once (nothing is served until it is back);
/// safety never depends on a notification arriving, only liveness does.
final class PostgresReadLeases: Sendable {
    /// How long leases last and how writers wait.
    struct Timing: Sendable {
        /// A lease's length on the database's clock.
        var duration: UInt64 = 2_000_000_000
        /// How much earlier than the database the holder stops trusting a lease.
        var margin: UInt64 = 250_000_000
        /// Reads renew a lease with less than this left.
        var renewBefore: UInt64 = 1_000_000_000
        /// A writer's wait for a holder beyond `duration`.
        var writerSlack: UInt64 = 1_000_000_000
        /// How often a waiting writer asks the database whether a lease is gone.
        var pollInterval: UInt64 = 100_000_000
        /// Leases held at most; the least recently used is given up for a new one.
        var maxLeases = PostgresReadLeases.maxLeases
    }

    /// The notification channel of every node's leases.
    static let channel = "enclaveos_read_leases"
    /// Leases one node holds at most; the least recently used is given up for a new one.
    static let maxLeases = 1024
    /// Releases remembered for writers that start waiting after the release arrived.
    static let maxRecentReleases = 4096

    /// This node's id in lease rows (random per backend).
    let node: [UInt8]
    /// The opened values, served per namespace only under a lease.
    let cache: OpenedValueCache
    let timing: Timing
    private let pool: PostgresPool
    private let state = Mutex(State())
    private let listener: Mutex<PostgresLeaseListener?> = Mutex(nil)
    private let background = DispatchQueue(label: "enclave-os.postgres.read-leases.cleanup")

    private struct Lease {
        var id: Int64
        /// `LeaseClock` instant until which it may be served; 0 while its grant is under way.
        var deadline: UInt64
        /// A grant or renewal of it is under way.
        var busy: Bool
        var lastUse: UInt64
    }

    private struct State {
        var leases: [HashedBytes: Lease] = [:]
        /// The last grant id handed out: ids increase, so the database can refuse an older grant
        /// that arrives after a newer one of this node (`PostgresReadLeaseFunctions.grantFunction`).
        var lastGrantID: Int64 = 0

        mutating func nextGrantID() -> Int64 {
            lastGrantID += 1
            return lastGrantID
        }
        var listening = false
        var stopped = false
        /// Tests: a holder that never answers revocations.
        var ignoresInvalidations = false
        var waiters: [ReadLeaseMessage.Lease: [DispatchSemaphore]] = [:]
        var released: Set<ReadLeaseMessage.Lease> = []
        /// Namespaces whose revocation after a commit failed (or whose commit's outcome is
        /// unknown): revoked again in the background until it succeeds.
        var pendingRevocations: Set<[UInt8]> = []
        var retrying = false
        var quarantine = ReadLeaseQuarantine()
    }

    init(pool: PostgresPool, cache: OpenedValueCache = OpenedValueCache(leased: true), timing: Timing = Timing()) {
        self.pool = pool
        self.cache = cache
        self.timing = timing
        var node: [UInt8] = []
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<16 { node.append(UInt8.random(in: 0...255, using: &generator)) }
        self.node = node
    }

    /// Starts listening (the schema must exist): leases are taken only while it listens.
    func start() {
        _ = try? PostgresReadLeaseSQL.run(pool, "remove old read leases", PostgresReadLeaseSQL.removeStale, [])
        let listener = PostgresLeaseListener(pool: pool, channel: Self.channel,
                                             onMessage: { [weak self] in self?.receive($0) },
                                             onUp: { [weak self] in self?.state.withLock { $0.listening = true } },
                                             onLost: { [weak self] in self?.listenerLost() })
        self.listener.withLock { $0 = listener }
        listener.start()
    }

    /// Ends every lease and stops listening; this node's rows are deleted (best effort).
    func stop() {
        let held = state.withLock { state -> Bool in
            state.stopped = true
            state.listening = false
            defer { state.leases.removeAll() }
            cache.endAllLeases()
            return !state.leases.isEmpty
        }
        listener.withLock { $0 }?.stop()
        // Spares writers the wait for these rows to expire.
        if held { _ = try? PostgresReadLeaseSQL.run(pool, "give up read leases", PostgresReadLeaseSQL.removeNode, [node]) }
    }

    // MARK: - Holder

    private enum Step {
        case none
        case renew(id: Int64)
        case acquire(id: Int64)
    }

    /// Called before every cached read of `namespace`: takes or renews its lease when due. The
    /// read then uses the cache only if the lease is live (the cache checks its deadline).
    func willRead(namespace: [UInt8]) {
        let now = LeaseClock.now()
        let key = HashedBytes(namespace)
        let step = state.withLock { state -> Step in
            guard state.listening, !state.stopped, !state.quarantine.holds(key, now: now) else { return .none }
            if var lease = state.leases[key] {
                lease.lastUse = now
                defer { state.leases[key] = lease }
                guard !lease.busy, lease.deadline < now + timing.renewBefore else { return .none }
                lease.busy = true
                guard lease.deadline <= now else { return .renew(id: lease.id) }
                // Lapsed: a new grant, under a new id (a writer may be waiting for the old one).
                lease.id = state.nextGrantID()
                return .acquire(id: lease.id)
            }
            if state.leases.count >= timing.maxLeases { evictLeastRecentlyUsed(&state) }
            let id = state.nextGrantID()
            state.leases[key] = Lease(id: id, deadline: 0, busy: true, lastUse: now)
            return .acquire(id: id)
        }
        switch step {
        case .none: return
        case .renew(let id): renew(namespace, id: id)
        case .acquire(let id): acquire(namespace, id: id)
        }
    }

    /// A fresh grant: what the namespace's entries held is dropped *before* the row changes.
    private func acquire(_ namespace: [UInt8], id: Int64) {
        let current = state.withLock { state -> Bool in
            guard state.leases[HashedBytes(namespace)]?.id == id else { return false }
            state.leases[HashedBytes(namespace)]?.deadline = 0
            cache.endLease(namespace: namespace)
            return true
        }
        // Revoked or evicted meanwhile: no row for a grant nobody tracks.
        guard current else { return }
        let sent = LeaseClock.now()
        let granted = (try? PostgresReadLeaseSQL.run(pool, "take a read lease", PostgresReadLeaseSQL.acquire,
                                                     [namespace, node], id: id, milliseconds: durationMilliseconds)) != nil
        settle(namespace, id: id, sent: sent, granted: granted, keepEntries: false)
    }

    /// Extends a live grant; if the database no longer holds it live and unrevoked, it ends.
    private func renew(_ namespace: [UInt8], id: Int64) {
        let sent = LeaseClock.now()
        let rows = try? PostgresReadLeaseSQL.run(pool, "renew a read lease", PostgresReadLeaseSQL.renew,
                                                 [namespace, node], id: id, milliseconds: durationMilliseconds)
        settle(namespace, id: id, sent: sent, granted: !(rows?.isEmpty ?? true), keepEntries: true)
        // Revoked (or expired): dropped above; a fresh grant now replaces the old row at once, so
        // a writer waiting for it need not wait for it to expire.
        if rows?.isEmpty == true { willRead(namespace: namespace) }
    }

    private func settle(_ namespace: [UInt8], id: Int64, sent: UInt64, granted: Bool, keepEntries: Bool) {
        let answered = LeaseClock.now()
        state.withLock { state in
            // Revoked, evicted or lost while the statement was out: the answer is void.
            guard var lease = state.leases[HashedBytes(namespace)], lease.id == id, !state.stopped, state.listening else { return }
            let deadline = sent + timing.duration - timing.margin
            // Kept only if the old grant was still locally live at the answer (no break).
            let continuous = !keepEntries || lease.deadline > answered
            guard granted, continuous, answered < deadline else {
                state.leases[HashedBytes(namespace)] = nil
                cache.endLease(namespace: namespace)
                return
            }
            lease.busy = false
            lease.deadline = deadline
            state.leases[HashedBytes(namespace)] = lease
            cache.grantLease(namespace: namespace, until: deadline, keepEntries: keepEntries)
        }
    }

    private func evictLeastRecentlyUsed(_ state: inout State) {
        guard let oldest = state.leases.min(by: { $0.value.lastUse < $1.value.lastUse })?.key else { return }
        state.leases[oldest] = nil
        cache.endLease(namespace: oldest.bytes)
    }

    private var durationMilliseconds: Int64 { Int64(timing.duration / 1_000_000) }

    /// A notification (on the listener's event loop: never blocks).
    private func receive(_ payload: String) {
        guard let message = ReadLeaseMessage(payload: payload) else { return }
        switch message.kind {
        case .invalidate:
            guard message.lease.node == node else { return }
            let answer = state.withLock { state -> Bool in
                guard !state.ignoresInvalidations else { return false }
                state.leases[HashedBytes(message.lease.namespace)] = nil
                cache.endLease(namespace: message.lease.namespace)
                return true
            }
            // Dropped first; only then is the row deleted and the release announced.
            guard answer else { return }
            var bindings = PostgresBindings()
            bindings.append(ByteBuffer(bytes: message.lease.namespace))
            bindings.append(ByteBuffer(bytes: node))
            bindings.append(message.lease.id)
            bindings.append(Self.channel)
            bindings.append(ReadLeaseMessage(kind: .released, lease: message.lease).payload)
            listener.withLock { $0 }?.send(PostgresReadLeaseSQL.release, bindings)
        case .released:
            let waiters = state.withLock { state -> [DispatchSemaphore] in
                if state.released.count >= Self.maxRecentReleases { state.released.removeAll() }
                state.released.insert(message.lease)
                return state.waiters.removeValue(forKey: message.lease) ?? []
            }
            for waiter in waiters { waiter.signal() }
        }
    }

    private func listenerLost() {
        let dropped = state.withLock { state -> [Int64] in
            state.listening = false
            defer { state.leases.removeAll() }
            cache.endAllLeases()
            return state.leases.values.map(\.id)
        }
        // Dropped above; their rows go too, so writers need not wait for them to expire. By id
        // only: once listening again, this node may hold new grants by the time this runs.
        guard !dropped.isEmpty else { return }
        background.async { [pool, node] in
            _ = try? PostgresReadLeaseSQL.removeGrants(pool, node: node, ids: dropped)
        }
    }

    // MARK: - Writer

    /// Revokes other nodes' leases on `namespaces` after a commit to them, and returns once each
    /// holder released its lease or the lease expired.
    /// - Throws: `backend` when the database cannot be asked, or a holder neither released nor
    ///   let its lease expire within `duration` + `writerSlack` (the write is committed, but was
    ///   not acknowledged).
    func revoke(namespaces: [[UInt8]]) throws {
        guard !namespaces.isEmpty else { return }
        try awaitRelease(PostgresReadLeaseSQL.revoke(pool, namespaces: namespaces, writer: node, channel: Self.channel))
    }

    /// Returns once each of the `revoked` leases (live when a revocation marked them) was
    /// released by its holder or expired.
    /// - Throws: `backend` when the database cannot be asked, or a holder neither released nor
    ///   let its lease expire within `duration` + `writerSlack`.
    func awaitRelease(_ revoked: [ReadLeaseMessage.Lease]) throws {
        // One bound for all of them: the database's answer is the host's, and could list many.
        let limit = LeaseClock.now() + timing.duration + timing.writerSlack
        for lease in revoked { try waitForRelease(lease, until: limit) }
    }

    /// After a commit (or an app's removal) on `namespaces` whose outcome is unknown: its statement
    /// may land later. Other nodes must drop what they cached (`revokeInBackground`), and this node
    /// ends its own leases on them now and takes none until the statement must have ended in the
    /// database (`ReadLeaseQuarantine`).
    func outcomeUnknown(namespaces: [[UInt8]]) {
        let now = LeaseClock.now()
        let deadline = now + UInt64(max(0, pool.serverStatementTimeout.nanoseconds)) + 1_000_000_000
        state.withLock { state in
            state.quarantine.add(namespaces, until: deadline, now: now)
            for namespace in namespaces {
                state.leases[HashedBytes(namespace)] = nil
                cache.endLease(namespace: namespace)
            }
        }
        revokeInBackground(namespaces: namespaces)
    }

    /// For a commit that may have happened although its writers got an error (its revocation
    /// failed, or the connection broke during it): other nodes must still drop what they cached,
    /// so the revocation is retried every second in the background until it succeeds.
    func revokeInBackground(namespaces: [[UInt8]]) {
        let start = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.pendingRevocations.formUnion(namespaces)
            defer { state.retrying = true }
            return !state.retrying
        }
        if start { background.async { [weak self] in self?.retryRevocations() } }
    }

    private func retryRevocations() {
        let pending = state.withLock { Array($0.pendingRevocations) }
        var failed = false
        for namespace in pending {
            do {
                try revoke(namespaces: [namespace])
                state.withLock { _ = $0.pendingRevocations.remove(namespace) }
            } catch {
                failed = true
            }
        }
        let again = state.withLock { state -> Bool in
            state.retrying = !state.stopped && (failed || !state.pendingRevocations.isEmpty)
            return state.retrying
        }
        if again { background.asyncAfter(deadline: .now() + .seconds(1)) { [weak self] in self?.retryRevocations() } }
    }

    private func waitForRelease(_ lease: ReadLeaseMessage.Lease, until limit: UInt64) throws {
        let semaphore = DispatchSemaphore(value: 0)
        let already = state.withLock { state -> Bool in
            if state.released.contains(lease) { return true }
            state.waiters[lease, default: []].append(semaphore)
            return false
        }
        guard !already else { return }
        defer {
            state.withLock { state in
                state.waiters[lease]?.removeAll { $0 === semaphore }
                if state.waiters[lease]?.isEmpty == true { state.waiters[lease] = nil }
            }
        }
        while true {
            let now = LeaseClock.now()
            guard now < limit else {
                throw SealedStoreError.backend(operation: "PostgreSQL: revoke read leases", code: 0, message:
                    "another node neither released nor let expire its read lease within \((timing.duration + timing.writerSlack) / 1_000_000) ms; the write is committed but was not acknowledged")
            }
            DatabaseWait.willWait()
            if semaphore.wait(timeout: .now() + .nanoseconds(Int(min(limit - now, timing.pollInterval)))) == .success { return }
            if try !PostgresReadLeaseSQL.stillHeld(pool, lease) { return }
        }
    }

    // MARK: - Tests

    /// Tests: make this node ignore revocations (a holder that hangs) or answer them again.
    func ignoreInvalidations(_ ignore: Bool) {
        state.withLock { $0.ignoresInvalidations = ignore }
    }

    /// Tests: break the `LISTEN` connection as a network failure would.
    func dropListener() {
        listener.withLock { $0 }?.dropConnection()
    }

    /// Tests: whether the node listens, and the leases it holds.
    var snapshot: (listening: Bool, leases: Int) {
        state.withLock { ($0.listening, $0.leases.count) }
    }

    /// Tests: the local deadline of `namespace`'s lease (`LeaseClock`), if one is granted.
    func deadline(of namespace: [UInt8]) -> UInt64? {
        state.withLock { state in state.leases[HashedBytes(namespace)].flatMap { $0.deadline == 0 ? nil : $0.deadline } }
    }
}
