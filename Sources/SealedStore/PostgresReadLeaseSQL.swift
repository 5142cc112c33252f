import NIOCore
import PostgresNIO

/// The statements of the read leases (`PostgresReadLeases`), one source for their text.
enum PostgresReadLeaseSQL {
    /// A fresh grant ($1 namespace, $2 node, $3 lease id, $4 milliseconds), ordered against
    /// commits by the namespace's lease lock (`grantFunction`).
    static let acquire = "SELECT enclaveos_grant_read_lease($1, $2, $3, $4)"

    /// Extends grant $3 only while the database holds it live and unrevoked (same bindings).
    static let renew = """
        UPDATE enclaveos_read_leases SET expires_at = now() + $4::float8 * interval '1 millisecond'
        WHERE namespace = $1 AND node = $2 AND lease_id = $3 AND NOT revoked AND expires_at > now()
        RETURNING 1
        """

    /// A writer's revocation ($1 namespaces, $2 writer node, $3 channel; `revokeFunction`): the
    /// live leases it revoked, as (holder, namespace, lease id) rows. Commits through PostgresNIO
    /// run the function inside their own statement, and commits on the node's own connection
    /// the same revocation inline (`PostgresWriteStatement.Revocation`); this is for the other
    /// writers (removing an app, and retries in the background).
    static let revokeSQL = "SELECT holder, leased, grant_id FROM enclaveos_revoke_read_leases($1, $2, $3)"

    /// A writer's lease locks, taken shared until its transaction ends ($1 high and $2 low
    /// halves of each key, `lockKeys`): the first statement of a commit that revokes inline
    /// (`PostgresWriteStatement.Revocation.afterLocking`), so the statement after it takes its
    /// snapshot only once every lock is held, as `revokeFunction` orders it. Keys are taken in
    /// the order given (a function scan returns its rows in order); one row, the count.
    ///
    /// Like the functions, it refuses any isolation level but READ COMMITTED (under another,
    /// the transaction's snapshot would be taken when this statement starts, before its lock
    /// waits, and the revocation after it could miss a grant). The store's sessions ask for
    /// READ COMMITTED at startup, but a connection pooler may drop startup parameters. The
    /// check refers to no row, so it runs once, before any lock, even for no keys; plain SQL
    /// cannot raise, so a failed cast of the message carries it.
    static let lockSQL = """
        SELECT count(pg_advisory_xact_lock_shared(k.high, k.low)) FROM unnest($1::int4[], $2::int4[]) AS k(high, low)
        WHERE CASE WHEN current_setting('transaction_isolation') = 'read committed' THEN true
              ELSE ('read leases need READ COMMITTED, not ' || current_setting('transaction_isolation'))::boolean END
        """

    /// The lease locks of `namespaces` as `lockFunction` and `revokeFunction` derive them (the
    /// first 8 bytes, zero-padded, as two big-endian `int4`), distinct and in ascending order
    /// (the order `revokeFunction` takes them in), as `lockSQL`'s two parameters.
    static func lockKeys(_ namespaces: [[UInt8]]) -> (high: [Int32], low: [Int32]) {
        func int32(_ bytes: ArraySlice<UInt8>) -> Int32 {
            Int32(bitPattern: bytes.reduce(0) { $0 << 8 | UInt32($1) })
        }
        let keys = Set(namespaces.map { namespace -> [Int32] in
            let padded = Array(namespace.prefix(8)) + [UInt8](repeating: 0, count: max(0, 8 - namespace.count))
            return [int32(padded[0..<4]), int32(padded[4..<8])]
        }).sorted { $0.lexicographicallyPrecedes($1) }
        return (keys.map { $0[0] }, keys.map { $0[1] })
    }

    /// Whether grant $3 of node $2 on namespace $1 is still live.
    static let held = """
        SELECT 1 FROM enclaveos_read_leases WHERE namespace = $1 AND node = $2 AND lease_id = $3 AND expires_at > now()
        """

    /// The holder's release ($1 namespace, $2 node, $3 lease id, $4 channel, $5 payload).
    static let release = """
        WITH gone AS (DELETE FROM enclaveos_read_leases WHERE namespace = $1 AND node = $2 AND lease_id = $3)
        SELECT pg_notify($4, $5)::text
        """

    /// Every row of node $1.
    static let removeNode = "DELETE FROM enclaveos_read_leases WHERE node = $1"

    /// Rows expired long ago (dead nodes'); a live node's next renewal of one starts afresh.
    static let removeStale = "DELETE FROM enclaveos_read_leases WHERE expires_at < now() - interval '1 hour'"

    /// Runs `sql` with byte bindings, then (when given) a lease id and a duration.
    @discardableResult
    static func run(_ pool: PostgresPool, _ operation: String, _ sql: String, _ bytes: [[UInt8]],
                    id: Int64? = nil, milliseconds: Int64? = nil) throws -> [PostgresRow] {
        var bindings = PostgresBindings()
        for value in bytes { bindings.append(ByteBuffer(bytes: value)) }
        if let id { bindings.append(id) }
        if let milliseconds { bindings.append(milliseconds) }
        return try pool.withConnection(operation) { connection in
            Array(try pool.query(connection, sql, bindings, operation: operation))
        }
    }

    /// Runs `revokeSQL`; the live leases it revoked.
    static func revoke(_ pool: PostgresPool, namespaces: [[UInt8]], writer: [UInt8], channel: String) throws -> [ReadLeaseMessage.Lease] {
        var bindings = PostgresBindings()
        bindings.append(namespaces.map { ByteBuffer(bytes: $0) })
        bindings.append(ByteBuffer(bytes: writer))
        bindings.append(channel)
        let operation = "revoke read leases"
        let rows = try pool.withConnection(operation) { connection in
            Array(try pool.query(connection, revokeSQL, bindings, operation: operation))
        }
        return try revokedLeases(rows)
    }

    /// The (holder, namespace, lease id) rows of a revocation.
    static func revokedLeases(_ rows: [PostgresRow]) throws -> [ReadLeaseMessage.Lease] {
        try rows.map { ReadLeaseMessage.Lease(node: try $0.bytes(0), namespace: try $0.bytes(1), id: try $0.int64(2)) }
    }

    /// The (holder, namespace, lease id) rows of a revocation the commit connection answered
    /// (`PostgresWireConnection`: binary cells, the lease id a big-endian `bigint`).
    static func revokedLeases(_ rows: PostgresWireConnection.Rows) throws -> [ReadLeaseMessage.Lease] {
        try rows.map { row in
            guard row.count == 3, let holder = row[0], let leased = row[1], let id = row[2], id.count == 8 else {
                throw SealedStoreError.backend(operation: "PostgreSQL: read a row", code: 0, message:
                    "a revoked lease is not (bytea, bytea, bigint): \(row.count) column(s) of \(row.map { $0?.count ?? -1 }) bytes")
            }
            return ReadLeaseMessage.Lease(node: holder, namespace: leased, id: id.reduce(0) { $0 << 8 | Int64($1) })
        }
    }

    /// Deletes node `node`'s grants `ids` (dropped already).
    static func removeGrants(_ pool: PostgresPool, node: [UInt8], ids: [Int64]) throws {
        var bindings = PostgresBindings()
        bindings.append(ByteBuffer(bytes: node))
        bindings.append(ids)
        let operation = "give up read leases"
        _ = try pool.withConnection(operation) { connection in
            try pool.query(connection, "DELETE FROM enclaveos_read_leases WHERE node = $1 AND lease_id = ANY($2)", bindings,
                           operation: operation)
        }
    }

    /// Whether `lease` is still live by the database's clock.
    static func stillHeld(_ pool: PostgresPool, _ lease: ReadLeaseMessage.Lease) throws -> Bool {
        try !run(pool, "wait for a read lease", held, [lease.namespace, lease.node], id: lease.id).isEmpty
    }
}
