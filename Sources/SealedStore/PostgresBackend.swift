import Foundation
import NIOCore
import PostgresNIO

/// The shared backend of a cluster: the same sealed layout as `SQLiteBackend` (HMAC'd row names,
/// sealed names and values, sealed app records) in a PostgreSQL database that every server of the
/// cluster uses. PostgreSQL only ever sees ciphertext and HMACs.
///
/// Every commit is one SQL statement (so one atomic, durable commit: PostgreSQL returns from a
/// commit only once its WAL record is flushed, with `fsync` and `synchronous_commit` on, which
/// `durabilityWarnings` checks). Concurrent writers of one server share that statement
/// (`PostgresGroupCommit`); PostgreSQL also groups the WAL flushes of concurrent commits from
/// several servers. Concurrent single-row reads share a statement too (`PostgresRowReads`). The
/// reads and the commit statement are prepared once per connection. Opened values are cached
/// only under read leases (`PostgresReadLeases`, on unless `read_cache=off`): a commit revokes
/// other servers' leases on what it wrote and its writers are acknowledged only once those are
/// released or expired, so what one server commits, every other server reads.
///
/// Concurrent writes to the same row from several servers: the last commit wins, whole; a row
/// never holds a mix of two writes (see docs/cluster.md for what apps can rely on).
public final class PostgresBackend: StorageBackend, Sendable {
    /// Where the database is (password hidden in `description`).
    public let url: PostgresURL
    private let pool: PostgresPool
    /// The commit's own connection, without TLS only (nil: commits go through the pool).
    private let commitConnection: PostgresCommitConnection?
    private let commits: PostgresGroupCommit
    private let reads: PostgresStatementBatcher<PostgresRowReads.Read, PostgresRowReads.Found?>
    /// The leased read cache, when `url.readCache` is on.
    let leases: PostgresReadLeases
    /// Settings of the database that weaken durability (empty when it is sound), for the log.
    public let durabilityWarnings: [String]

    /// Connects, creates or checks the schema, and reads the durability settings.
    /// - Throws: `SealedStoreError.backend` naming the database when it cannot be reached or its
    ///   schema is newer than this server.
    public convenience init(url: PostgresURL) throws {
        try self.init(url: url, operationTimeout: PostgresPool.defaultOperationTimeout)
    }

    /// `init(url:)` with another longest wait for a free connection, a connect or one statement
    /// (tests force a timeout with a short one).
    /// `commitsThroughPool`: commits go through PostgresNIO even without TLS (as with
    /// `sslmode=require`; tests run that path on the private database, which has no TLS).
    init(url: PostgresURL, operationTimeout: TimeAmount, serverStatementTimeout: TimeAmount? = nil,
         leaseTiming: PostgresReadLeases.Timing = .init(), commitsThroughPool: Bool = false) throws {
        self.url = url
        let pool = try PostgresPool(url: url, operationTimeout: operationTimeout, serverStatementTimeout: serverStatementTimeout)
        self.pool = pool
        // A commit's writers wait for its round trip: without TLS it goes out from the committing
        // thread on a connection of its own (`PostgresWireConnection`, no event-loop hop). With
        // `sslmode=require` it stays on PostgresNIO, which has the TLS.
        let ownConnection = url.tls == .disable && !commitsThroughPool
        let commitConnection = ownConnection ? PostgresCommitConnection(url: url, pool: pool) : nil
        self.commitConnection = commitConnection
        // The writer's side runs whatever this node's `read_cache`: a node that caches nothing
        // must still revoke the leases of nodes that do, or they would serve what it overwrote.
        let leases = PostgresReadLeases(pool: pool, timing: leaseTiming)
        self.leases = leases
        let revoking = (writer: leases.node, channel: PostgresReadLeases.channel)
        commits = PostgresGroupCommit { jobs throws(PostgresGroupCommit.Failure) in
            let revoked: [ReadLeaseMessage.Lease]
            do throws(PostgresGroupCommit.Failure) {
                revoked = try Self.commit(jobs, revoking: revoking, pool: pool, connection: commitConnection)
            } catch {
                // The outcome is unknown: if it committed, other nodes must still drop their copies,
                // and this node must not cache what it reads before the statement lands.
                if !error.refusedByDatabase, error.sent { leases.outcomeUnknown(namespaces: jobs.map(\.namespace)) }
                throw error
            }
            try Self.awaitRelease(leases, revoked, jobs.map(\.namespace))
        }
        // At most as many reads per statement as the pool has connections: values of up to
        // 16 MiB never have more in flight at once than when each read had its own connection.
        reads = PostgresStatementBatcher(maxJobs: url.poolSize) { PostgresRowReads.run($0, pool: pool) }
        do {
            try PostgresSchema.migrate(pool)
            durabilityWarnings = try PostgresSchema.durabilityWarnings(pool)
            if url.readCache { try PostgresSchema.requireStatementTimeout(pool) }
        } catch {
            commitConnection?.close()
            pool.close()
            throw error
        }
        // Only a caching node listens (and so takes leases); a writer without it polls.
        if url.readCache { leases.start() }
    }

    /// Closes every connection; later calls fail.
    public func close() {
        leases.stop()
        commitConnection?.close()
        pool.close()
    }

    /// The leased cache of opened values, when `read_cache` is on.
    public var openedValueCache: OpenedValueCache? { url.readCache ? leases.cache : nil }

    /// Takes or renews `namespace`'s read lease when due.
    public func willRead(namespace: [UInt8]) {
        if url.readCache { leases.willRead(namespace: namespace) }
    }

    /// After a commit to `namespaces` that revoked the live leases `revoked` (other nodes'
    /// leases on them), before its writers are acknowledged: waits until each is released (or
    /// expired).
    private static func awaitRelease(_ leases: PostgresReadLeases, _ revoked: [ReadLeaseMessage.Lease],
                                     _ namespaces: [[UInt8]]) throws(PostgresGroupCommit.Failure) {
        guard !revoked.isEmpty else { return }
        do {
            try leases.awaitRelease(revoked)
        } catch {
            var unique: [[UInt8]] = []
            for namespace in namespaces where !unique.contains(namespace) { unique.append(namespace) }
            leases.revokeInBackground(namespaces: unique)
            let failure = (error as? SealedStoreError)
                ?? .backend(operation: "PostgreSQL: revoke read leases", code: 0, message: PostgresPool.describe(error))
            throw PostgresGroupCommit.Failure(error: failure, refusedByDatabase: false)
        }
    }

    // MARK: - Rows

    /// One prepared statement (the read every `kv-read` makes), shared with concurrent reads.
    public func value(namespace: [UInt8], name: [UInt8]) throws -> [UInt8]? {
        try reads.submit(PostgresRowReads.Read(namespace: namespace, name: name, wantsValue: true))?.value
    }

    /// Durable when it returns. Concurrent writers of this server share one commit: their
    /// batches go to the database as one statement (`PostgresGroupCommit`).
    public func apply(namespace: [UInt8], writes: [StorageWrite]) throws {
        guard !writes.isEmpty else { return }
        let job = PostgresGroupCommit.Job(namespace: namespace, writes: writes)
        guard let cache = openedValueCache else { return try commits.write(job) }
        try cache.writing(namespace: namespace, writes: writes) { try commits.write(job) }
    }

    /// Commits made and writes (`apply` calls) they carried since opening.
    public var commitStatistics: (commits: Int, writes: Int) {
        let (commits, jobs) = commits.statistics
        return (commits, jobs)
    }

    /// Read statements made and single-row reads (`value`, `storedSize`) they answered since
    /// opening.
    public var readStatistics: (statements: Int, reads: Int) {
        let (batches, jobs) = reads.statistics
        return (batches, jobs)
    }

    /// Round trips to the database since opening: statements, or pipelines of them sent at once
    /// (a commit on the node's own connection).
    public var statementCount: Int { pool.statementCount }

    /// One trivial statement (`SELECT 1`) through the pool: the cost of a round trip to the
    /// database on this path, for the bench and health checks.
    public func ping() throws {
        _ = try rows("ping", "SELECT 1", [])
    }

    /// A deadlock or serialization failure rolled the statement back; running it again is safe.
    static let retriedStates: Set<String> = ["40P01", "40001"]
    /// Attempts of one commit that keeps hitting `retriedStates` before its error is reported.
    static let maxCommitAttempts = 3

    /// One round trip for `jobs` (one statement, or on `connection` a pipeline of two), run
    /// again when the database rolled it back for a deadlock with another node's commit. With
    /// `revoking` (this node's id and the lease channel), the same transaction revokes other
    /// nodes' read leases on the jobs' namespaces; returns the live ones it revoked. It runs on
    /// `connection` when given, else on a connection of the pool.
    static func commit(_ jobs: [PostgresGroupCommit.Job], revoking: (writer: [UInt8], channel: String)?,
                               pool: PostgresPool, connection: PostgresCommitConnection?) throws(PostgresGroupCommit.Failure)
        -> [ReadLeaseMessage.Lease] {
        var operation = "apply \(jobs.count) batch(es) of writes"
        var refused = false
        var sent = false
        do {
            // On the commit connection, the lease locks go first in the same pipeline and the
            // revocation is inline (`PostgresWriteStatement.Revocation.afterLocking`).
            let statement = PostgresWriteStatement(jobs, revoking: revoking, lockingAhead: connection != nil)
            operation = "apply \(statement.rowCount) write(s)"
            // Refused before either path sends anything (nothing applied, nothing to quarantine).
            if let problem = PostgresWireMessages.unsendable(statement.parameters) {
                throw SealedStoreError.backend(operation: "PostgreSQL: \(operation)", code: 0, message: problem)
            }
            if let connection {
                let rows = try retrying(refused: &refused) { () throws -> PostgresWireConnection.Rows in
                    do {
                        let rows = try connection.run(statement.pipeline, operation: operation)
                        // Answered: it reached the database (and committed). A failure after this,
                        // such as malformed rows, leaves the outcome to the caller as unknown.
                        sent = true
                        return rows
                    } catch let error as PostgresWireError {
                        // False only when no byte of this attempt left (an earlier one's stays).
                        sent = sent || error.mayHaveBeenSent
                        throw error
                    }
                }
                // It committed: an earlier attempt's refusal (a deadlock, retried) no longer counts.
                refused = false
                // The host's answer: a malformed row fails the commit's writers (it committed; the
                // caller then revokes in the background, as for an unknown outcome).
                return try PostgresReadLeaseSQL.revokedLeases(rows)
            }
            let rows = try pool.withConnection(operation) { pooled in
                try retrying(refused: &refused) { () throws -> [PostgresRow] in
                    sent = true
                    return try pool.answerPrepared(pooled, statement.sql, statement.binds, operation: operation)
                }
            }
            refused = false
            // The host's answer: a malformed row fails the commit's writers (it committed; the
            // caller then revokes in the background, as for an unknown outcome).
            return try PostgresReadLeaseSQL.revokedLeases(rows)
        } catch let error as SealedStoreError {
            throw PostgresGroupCommit.Failure(error: error, refusedByDatabase: refused, sent: sent)
        } catch {
            throw PostgresGroupCommit.Failure(error: .backend(operation: "PostgreSQL: \(operation)", code: 0,
                                                              message: PostgresPool.describe(error)),
                                              refusedByDatabase: refused, sent: sent)
        }
    }

    /// Runs `attempt` again while the database rolls it back with one of `retriedStates`, at
    /// most `maxCommitAttempts` times; `refused` tells whether the last failure certainly
    /// applied nothing (`leftNothingApplied`).
    private static func retrying<T>(refused: inout Bool, _ attempt: () throws -> T) throws -> T {
        var number = 1
        while true {
            do {
                return try attempt()
            } catch {
                let state = PostgresPool.sqlState(of: error)
                refused = state.map(Self.leftNothingApplied) ?? false
                guard let state, retriedStates.contains(state), number < maxCommitAttempts else { throw error }
                number += 1
            }
        }
    }

    /// Whether a statement that failed with SQLSTATE `state` certainly applied nothing (an error
    /// in the statement or its data), so that its batch's writes may be run again one by one.
    /// Connection exceptions (08), operator intervention (57: a backend terminated, possibly
    /// after its commit was durable), system errors (58) and internal errors (XX) leave the
    /// outcome unknown: running those writes again could apply them twice, over a later write.
    static func leftNothingApplied(_ state: String) -> Bool {
        !["08", "57", "58", "XX"].contains(String(state.prefix(2)))
    }

    public func names(namespace: [UInt8]) throws -> [StoredName] {
        try rows("list names", "SELECT name, sealed_name FROM enclaveos_kv WHERE ns = $1", [namespace]).map {
            StoredName(name: try $0.bytes(0), sealedName: try $0.bytes(1))
        }
    }

    public func count(namespace: [UInt8]) throws -> Int {
        try Int(rows("count rows", "SELECT count(*) FROM enclaveos_kv WHERE ns = $1", [namespace]).first?.int64(0) ?? 0)
    }

    /// Rows of `namespace` and the bytes of their sealed values and names, in one query (quotas).
    public func usage(namespace: [UInt8]) throws -> StorageUsage {
        let row = try rows("measure an app's storage", """
            SELECT count(*), coalesce(sum(octet_length(value) + octet_length(sealed_name)), 0)::bigint
            FROM enclaveos_kv WHERE ns = $1
            """, [namespace]).first
        return StorageUsage(entries: try Self.nonNegative(row?.int64(0) ?? 0, "row count"),
                            bytes: try Self.nonNegative(row?.int64(1) ?? 0, "storage size"))
    }

    /// The bytes of row `name`'s sealed value and name, without reading them (quotas, and the
    /// truncating `open-at` of every `kv-store` of a stored file); shared with concurrent reads.
    public func storedSize(namespace: [UInt8], name: [UInt8]) throws -> Int? {
        guard let found = try reads.submit(PostgresRowReads.Read(namespace: namespace, name: name, wantsValue: false)) else {
            return nil
        }
        guard let size = found.size else {
            throw SealedStoreError.backend(operation: "PostgreSQL: measure a row", code: 0, message: "no size was read (a bug)")
        }
        return try Self.nonNegative(size, "row size")
    }

    /// A size or count the database answered. The host runs the database: a negative answer is
    /// a lie, and would overflow the quota's sums, so it is refused.
    private static func nonNegative(_ value: Int64, _ what: String) throws -> Int {
        guard value >= 0 else { throw SealedStoreError.integrity("PostgreSQL reported a negative \(what) (\(value))") }
        return Int(value)
    }

    // MARK: - App records

    public func appRecord(id: [UInt8]) throws -> [UInt8]? {
        try rows("read an app record", "SELECT record FROM enclaveos_apps WHERE id = $1", [id]).first.map { try $0.bytes(0) }
    }

    /// Inserts or replaces; a replaced record gets a new version, so the other servers notice.
    public func putAppRecord(id: [UInt8], record: [UInt8]) throws {
        try execute("store an app record", """
            INSERT INTO enclaveos_apps (id, record) VALUES ($1, $2)
            ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record, version = nextval('enclaveos_app_version')
            """, Self.bindings([id, record]))
    }

    public func addAppRecord(id: [UInt8], record: [UInt8]) throws -> Bool {
        try !rows("add an app record", "INSERT INTO enclaveos_apps (id, record) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING 1",
                  [id, record]).isEmpty
    }

    public func allAppRecords() throws -> [(id: [UInt8], record: [UInt8])] {
        try rows("read every app record", "SELECT id, record FROM enclaveos_apps", []).map { (try $0.bytes(0), try $0.bytes(1)) }
    }

    public func removeApp(id: [UInt8], deletingNamespace namespace: [UInt8]?) throws -> Bool {
        let remove = { [self] () throws -> Bool in
            // An empty namespace matches no row (namespaces are 32-byte HMACs).
            do {
                let removed = try !rows("remove an app", """
                    WITH rows AS (DELETE FROM enclaveos_kv WHERE ns = $2)
                    DELETE FROM enclaveos_apps WHERE id = $1 RETURNING 1
                    """, [id, namespace ?? []]).isEmpty
                if let namespace { try leases.revoke(namespaces: [namespace]) }
                return removed
            } catch {
                // The rows may be gone although this failed: other nodes must still drop them.
                if let namespace { leases.outcomeUnknown(namespaces: [namespace]) }
                throw error
            }
        }
        guard let namespace, let cache = openedValueCache else { return try remove() }
        return try cache.writingAll(namespace: namespace, remove)
    }

    // MARK: - Cluster support

    /// Every app record's id and version: a version changes whenever the record is written, and
    /// is never reused, so comparing two listings shows exactly what was loaded, changed or removed.
    public func appVersions() throws -> [(id: [UInt8], version: Int64)] {
        try rows("list app versions", "SELECT id, version FROM enclaveos_apps", []).map { (try $0.bytes(0), try $0.int64(1)) }
    }

    /// App record `id` with its version, or nil.
    public func versionedAppRecord(id: [UInt8]) throws -> (record: [UInt8], version: Int64)? {
        try rows("read an app record", "SELECT record, version FROM enclaveos_apps WHERE id = $1", [id]).first.map {
            (try $0.bytes(0), try $0.int64(1))
        }
    }

    /// Gives app record `id` a new version without changing it, so every server reloads it (e.g.
    /// after an app changed what its certificate shows). Returns whether the record exists.
    @discardableResult
    public func touchAppRecord(id: [UInt8]) throws -> Bool {
        try !rows("announce an app change", "UPDATE enclaveos_apps SET version = nextval('enclaveos_app_version') WHERE id = $1 RETURNING 1",
                  [id]).isEmpty
    }

    /// The cluster value `name` (e.g. the check value of the cluster key), or nil.
    public func clusterValue(_ name: String) throws -> [UInt8]? {
        var bindings = PostgresBindings()
        bindings.append(name)
        return try pool.withConnection("read cluster value") { connection in
            try pool.query(connection, "SELECT value FROM enclaveos_cluster WHERE name = $1", bindings, operation: "read cluster value \(name)")
                .first.map { try $0.bytes(0) }
        }
    }

    /// Stores `value` under `name` unless a value is there; returns the value now stored
    /// (`value` if this call stored it). Atomic: of two servers racing, exactly one wins.
    public func addClusterValue(_ name: String, _ value: [UInt8]) throws -> [UInt8] {
        var bindings = PostgresBindings()
        bindings.append(name)
        bindings.append(ByteBuffer(bytes: value))
        let inserted = try pool.withConnection("store cluster value") { connection in
            try pool.query(connection, "INSERT INTO enclaveos_cluster (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING 1",
                           bindings, operation: "store cluster value \(name)")
        }
        if !inserted.isEmpty { return value }
        guard let stored = try clusterValue(name) else {
            throw SealedStoreError.backend(operation: "PostgreSQL: store cluster value \(name)", code: 0,
                                           message: "the value vanished between two statements")
        }
        return stored
    }

    // MARK: - Statements

    private static func bindings(_ values: [[UInt8]]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { bindings.append(ByteBuffer(bytes: value)) }
        return bindings
    }

    private func rows(_ operation: String, _ sql: String, _ values: [[UInt8]]) throws -> [PostgresRow] {
        try pool.withConnection(operation) { connection in
            Array(try pool.query(connection, sql, Self.bindings(values), operation: operation))
        }
    }

    private func execute(_ operation: String, _ sql: String, _ bindings: PostgresBindings) throws {
        _ = try pool.withConnection(operation) { connection in
            try pool.query(connection, sql, bindings, operation: operation)
        }
    }
}
