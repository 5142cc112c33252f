import NIOCore
import PostgresNIO

/// The one statement that applies a batch of writes, possibly of several namespaces (a shared
/// group commit), as one atomic, durable commit.
///
/// The batch's final state per row is computed first (one statement must not touch a row
/// twice): a later write to the same row replaces an earlier one, as applying them in order
/// would. Rows are then sent sorted by (namespace, name), so two nodes' concurrent batches lock
/// the rows they share in the same order.
struct PostgresWriteStatement {
    /// Deletes ($1, $2) and inserts ($3–$6) of the batch.
    private static let deletesAndInserts = """
        gone AS (
            DELETE FROM enclaveos_kv k USING unnest($1::bytea[], $2::bytea[]) AS d(ns, name)
            WHERE k.ns = d.ns AND k.name = d.name),
        created AS (
            INSERT INTO enclaveos_kv (ns, name, sealed_name, value)
            SELECT * FROM unnest($3::bytea[], $4::bytea[], $5::bytea[], $6::bytea[])
            ON CONFLICT (ns, name) DO NOTHING)
        """
    /// Puts ($7–$10) of the batch.
    private static let puts = """
        INSERT INTO enclaveos_kv (ns, name, sealed_name, value)
        SELECT * FROM unnest($7::bytea[], $8::bytea[], $9::bytea[], $10::bytea[])
        ON CONFLICT (ns, name) DO UPDATE SET sealed_name = EXCLUDED.sealed_name, value = EXCLUDED.value
        """

    /// The commit without read leases (no rows returned).
    static let sql = "WITH \(deletesAndInserts)\n\(puts)"

    /// The commit that also revokes other nodes' read leases on its namespaces ($11 namespaces,
    /// $12 writer node, $13 channel) in the same transaction, and returns the live leases it
    /// revoked (`PostgresReadLeaseSQL.revokeSQL`'s rows), so a commit is still one round trip.
    /// `revoked` is referenced by the final SELECT, so it runs, once (a CTE calling a volatile
    /// function is never inlined); the writes, referenced by nothing, run to completion after
    /// it: the function takes its locks before the commit's row locks (PostgreSQL's order, not
    /// a documented one: the other order could only deadlock, which is retried).
    static let revokingSQL = """
        WITH revoked AS (SELECT holder, leased, grant_id FROM enclaveos_revoke_read_leases($11::bytea[], $12::bytea, $13::text)),
        \(deletesAndInserts),
        upserted AS (\(puts))
        SELECT holder, leased, grant_id FROM revoked
        """

    /// The statement's text: `sql` or `revokingSQL`.
    let sql: String
    /// Its parameters (ten `bytea[]`, and the revocation's three), for the statement prepared from `sql`.
    let binds: [PostgresData]
    /// Rows the statement changes.
    let rowCount: Int

    /// The statement for `jobs`, applied in order; with `revoking` (writer node, channel), also
    /// revoking other nodes' read leases on the jobs' namespaces (`revokingSQL`).
    init(_ jobs: [PostgresGroupCommit.Job], revoking: (writer: [UInt8], channel: String)? = nil) throws {
        let final = Self.finalWrites(jobs).sorted { Self.precedes($0.key, $1.key) }
        var deletes = Columns(), inserts = Columns(), upserts = Columns()
        for (key, write) in final {
            switch write {
            case .put(let name, let sealedName, let value): upserts.append(key.namespace, name, sealedName, value)
            case .insert(let name, let sealedName, let value): inserts.append(key.namespace, name, sealedName, value)
            case .delete(let name): deletes.append(key.namespace, name)
            }
        }
        var binds = try ([deletes.namespaces, deletes.names] + inserts.columns + upserts.columns).map(PostgresPreparedStatements.byteArrays)
        if let revoking {
            // Repeated namespaces are fine: the function takes each lock once.
            binds.append(try PostgresPreparedStatements.byteArrays(jobs.map { ByteBuffer(bytes: $0.namespace) }))
            binds.append(PostgresPreparedStatements.bytes(revoking.writer))
            binds.append(PostgresData(string: revoking.channel))
        }
        self.binds = binds
        sql = revoking == nil ? Self.sql : Self.revokingSQL
        rowCount = final.count
    }

    /// A row of some namespace.
    struct RowKey: Hashable {
        var namespace: [UInt8]
        var name: [UInt8]
    }

    /// One write per row with the effect of applying every job's writes in order. An insert
    /// after a put or insert of the same row does nothing; after a delete the row is absent, so
    /// the insert becomes a put.
    static func finalWrites(_ jobs: [PostgresGroupCommit.Job]) -> [(key: RowKey, write: StorageWrite)] {
        var final: [RowKey: StorageWrite] = [:]
        var order: [RowKey] = []
        for job in jobs {
            for write in job.writes {
                let key = RowKey(namespace: job.namespace, name: write.rowName)
                guard let earlier = final[key] else {
                    final[key] = write
                    order.append(key)
                    continue
                }
                switch (earlier, write) {
                case (.put, .insert), (.insert, .insert):
                    break
                case (.delete, .insert(let row, let sealedName, let value)):
                    final[key] = .put(name: row, sealedName: sealedName, value: value)
                default:
                    final[key] = write
                }
            }
        }
        return order.compactMap { key in final[key].map { (key, $0) } }
    }

    private static func precedes(_ a: RowKey, _ b: RowKey) -> Bool {
        a.namespace == b.namespace ? a.name.lexicographicallyPrecedes(b.name) : a.namespace.lexicographicallyPrecedes(b.namespace)
    }

    /// Rows bound as one `bytea[]` parameter per column.
    private struct Columns {
        var namespaces: [ByteBuffer] = [], names: [ByteBuffer] = [], sealedNames: [ByteBuffer] = [], values: [ByteBuffer] = []

        mutating func append(_ namespace: [UInt8], _ name: [UInt8], _ sealedName: [UInt8] = [], _ value: [UInt8] = []) {
            namespaces.append(ByteBuffer(bytes: namespace))
            names.append(ByteBuffer(bytes: name))
            sealedNames.append(ByteBuffer(bytes: sealedName))
            values.append(ByteBuffer(bytes: value))
        }

        /// The four columns in the statement's parameter order.
        var columns: [[ByteBuffer]] { [namespaces, names, sealedNames, values] }
    }
}
