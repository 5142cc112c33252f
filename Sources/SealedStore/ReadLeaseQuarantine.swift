/// Namespaces this node must not take read leases on for a while: a commit of theirs failed with
/// an unknown outcome (a timeout, a lost connection), so its statement may still land in the
/// database later. A commit never revokes its own node's lease, so if this node kept (or took) a
/// lease meanwhile, it could cache what it read before that statement landed and serve it for as
/// long as it renews. Without a lease nothing is cached, so every read asks the database. The
/// statement is bounded in the database by the pool's `statement_timeout`, so a quarantine lasting
/// that long (from when the writer gave up) outlives it; a new grant after that is ordered after
/// it (the grant's exclusive lock waits for the statement's shared one).
///
/// Bounded: at most `maxNamespaces` are tracked one by one; beyond that every namespace is
/// quarantined until the latest deadline (rare: as many failed commits within one timeout).
struct ReadLeaseQuarantine {
    static let maxNamespaces = 1024

    private var until: [HashedBytes: UInt64] = [:]
    private var everything: UInt64 = 0

    /// Quarantines `namespaces` until `deadline` (`LeaseClock`).
    mutating func add(_ namespaces: [[UInt8]], until deadline: UInt64, now: UInt64) {
        for namespace in namespaces {
            let key = HashedBytes(namespace)
            if until[key] == nil, until.count >= Self.maxNamespaces {
                until = until.filter { $0.value > now }
                if until.count >= Self.maxNamespaces {
                    everything = max(everything, deadline, until.values.max() ?? 0)
                    until.removeAll()
                }
            }
            until[key] = max(until[key] ?? 0, deadline)
        }
    }

    /// Whether `key`'s namespace may not be leased at `now` (forgets a quarantine that ended).
    mutating func holds(_ key: HashedBytes, now: UInt64) -> Bool {
        if now < everything { return true }
        guard let deadline = until[key] else { return false }
        guard now < deadline else {
            until[key] = nil
            return false
        }
        return true
    }
}
