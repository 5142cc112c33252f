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
    /// The kinds of row writes; the statement has one part per kind its batch holds, so the
    /// database does not set up and run a write over empty arrays (a batch of `kv-store` calls
    /// is puts only).
    enum Part: Int, CaseIterable {
        case deletes, inserts, puts

        /// The part's CTE name.
        var name: String {
            switch self {
            case .deletes: "gone"
            case .inserts: "created"
            case .puts: "upserted"
            }
        }

        /// The `bytea[]` columns it binds.
        var parameterCount: Int { self == .deletes ? 2 : 4 }

        /// The part's text, its parameters numbered from `first`.
        func text(first: Int) -> String {
            let columns = (first..<first + parameterCount).map { "$\($0)::bytea[]" }.joined(separator: ", ")
            switch self {
            case .deletes:
                return "DELETE FROM enclaveos_kv k USING unnest(\(columns)) AS d(ns, name) WHERE k.ns = d.ns AND k.name = d.name"
            case .inserts:
                return """
                    INSERT INTO enclaveos_kv (ns, name, sealed_name, value) SELECT * FROM unnest(\(columns))
                    ON CONFLICT (ns, name) DO NOTHING
                    """
            case .puts:
                return """
                    INSERT INTO enclaveos_kv (ns, name, sealed_name, value) SELECT * FROM unnest(\(columns))
                    ON CONFLICT (ns, name) DO UPDATE SET sealed_name = EXCLUDED.sealed_name, value = EXCLUDED.value
                    """
            }
        }
    }

    /// How a statement revokes other nodes' read leases on its namespaces. Its parameters are
    /// the same either way: $1 namespaces, $2 writer node, $3 channel; the statement returns
    /// the live leases it revoked (`PostgresReadLeaseSQL.revokeSQL`'s rows), so a commit is
    /// still one round trip.
    enum Revocation: Int, CaseIterable {
        /// None: the statement only writes.
        case none
        /// Through `enclaveos_revoke_read_leases`, which takes the lease locks and then revokes
        /// with a snapshot of its own (one statement: the path through PostgresNIO). `revoked`
        /// is referenced by the final SELECT, so it runs, once (a CTE calling a volatile function
        /// is never inlined); the writes, referenced by nothing, run to completion after it: the
        /// function takes its locks before the commit's row locks (PostgreSQL's order, not a
        /// documented one: the other order could only deadlock, which is retried).
        case inFunction
        /// Inline, with no function: the statement is sent after `lockStatement` in one
        /// pipeline (one Sync, one transaction; the wire client's path). In READ COMMITTED each
        /// statement of a transaction takes its own snapshot when it starts, so this one's is
        /// taken after every lock is held, as in the function, without the PL/pgSQL call and
        /// its queries (measured with pgbench, one row per commit: ~35 µs less of the
        /// database's CPU per commit, ~40 µs less per round trip).
        case afterLocking

        var revokes: Bool { self != .none }

        /// The revocation's CTE, named `revoked`.
        var cte: String? {
            switch self {
            case .none: nil
            case .inFunction: "revoked AS (SELECT holder, leased, grant_id FROM enclaveos_revoke_read_leases($1::bytea[], $2::bytea, $3::text))"
            case .afterLocking: "revoked AS (\(PostgresReadLeaseSQL.revokingUpdate(namespaces: "$1::bytea[]", writer: "$2::bytea")))"
            }
        }

        /// The statement's final SELECT, over `revoked`.
        var final: String? {
            switch self {
            case .none: nil
            case .inFunction: "SELECT holder, leased, grant_id FROM revoked"
            case .afterLocking: PostgresReadLeaseSQL.liveRevoked(from: "revoked", channel: "$3::text")
            }
        }
    }
    private static let revocationParameters = 3

    /// The statement writing `parts` (in `Part` order), its parameters numbered the revocation's
    /// first (1–3; inline, the channel, $3, is used last, by the final SELECT), then the parts'
    /// in the order of the text. Without revocation, the last part is the statement itself and
    /// nothing is returned; a statement needs one, so it is then never without a part (puts).
    static func sql(_ parts: [Part], revocation: Revocation) -> String {
        let parts = sentParts(parts, revoking: revocation.revokes)
        var next = revocation.revokes ? revocationParameters + 1 : 1
        var texts: [(name: String, text: String)] = parts.map { part in
            defer { next += part.parameterCount }
            return (part.name, part.text(first: next))
        }
        let final = revocation.final ?? texts.removeLast().text
        let ctes = (revocation.cte.map { [$0] } ?? []) + texts.map { "\($0.name) AS (\($0.text))" }
        return ctes.isEmpty ? final : "WITH " + ctes.joined(separator: ",\n") + "\n" + final
    }

    /// The parts a statement has for a batch with `parts`: a statement needs one, so a batch
    /// without rows and without revocation sends empty puts.
    static func sentParts(_ parts: [Part], revoking: Bool) -> [Part] {
        parts.isEmpty && !revoking ? [.puts] : parts
    }

    /// Every variant's text, computed once (`variantIndex`): each is prepared once per connection.
    private static let variants: [String] = Revocation.allCases.flatMap { revocation in
        (0..<(1 << Part.allCases.count)).map { mask in
            sql(Part.allCases.filter { mask & (1 << $0.rawValue) != 0 }, revocation: revocation)
        }
    }

    private static func variantIndex(_ parts: [Part], revocation: Revocation) -> Int {
        parts.reduce(revocation.rawValue << Part.allCases.count) { $0 | 1 << $1.rawValue }
    }

    /// The statement's text: one of `variants`.
    let sql: String
    /// Its parameters (the revocation's three, then two or four `bytea[]` per part), for the
    /// statement prepared from `sql`, built in binary format as the wire client sends them.
    let parameters: [PostgresBinaryParameter]
    /// Rows the statement changes.
    let rowCount: Int
    /// With `Revocation.afterLocking`: the statement to send first, in the same pipeline
    /// (`PostgresReadLeaseSQL.lockSQL` and the jobs' lock keys).
    let lockStatement: (sql: String, parameters: [PostgresBinaryParameter])?

    /// What to send, in order, as one pipeline (`PostgresWireConnection.run(_:timeout:operation:)`).
    var pipeline: [(sql: String, parameters: [PostgresBinaryParameter])] {
        (lockStatement.map { [$0] } ?? []) + [(sql, parameters)]
    }

    /// `parameters` for PostgresNIO (the pool's connections, `sslmode=require`).
    var binds: [PostgresData] { parameters.map(\.postgresData) }

    /// The statement for `jobs`, applied in order; with `revoking` (writer node, channel), also
    /// revoking other nodes' read leases on the jobs' namespaces, in the function or, with
    /// `lockingAhead`, inline after `lockStatement` (`Revocation`). With `everyPart`, the
    /// statement has every part, empty ones too (the single statement of earlier versions,
    /// which tests compare the variants with).
    init(_ jobs: [PostgresGroupCommit.Job], revoking: (writer: [UInt8], channel: String)? = nil, lockingAhead: Bool = false,
         everyPart: Bool = false) {
        let final = Self.finalWrites(jobs).sorted { Self.precedes($0.key, $1.key) }
        // Each part's column sizes first, so each column's bytes are allocated once.
        var sizes = Array(repeating: Columns.Sizes(), count: Part.allCases.count)
        for (key, write) in final { sizes[Self.part(of: write).rawValue].add(key.namespace, write) }
        var columns = sizes.map(Columns.init)
        for (key, write) in final {
            switch write {
            case .put(let name, let sealedName, let value): columns[Part.puts.rawValue].append(key.namespace, name, sealedName, value)
            case .insert(let name, let sealedName, let value): columns[Part.inserts.rawValue].append(key.namespace, name, sealedName, value)
            case .delete(let name): columns[Part.deletes.rawValue].append(key.namespace, name)
            }
        }
        let present = Part.allCases.filter { everyPart || sizes[$0.rawValue].rows > 0 }
        let parts = Self.sentParts(present, revoking: revoking != nil).map { part in
            (part: part, columns: columns[part.rawValue].finish(first: part.parameterCount))
        }
        var parameters: [PostgresBinaryParameter] = []
        parameters.reserveCapacity(3 + 4 * parts.count)
        if let revoking {
            // Repeated namespaces are fine: the function takes each lock once.
            var namespaces = PostgresBinaryArray(capacity: jobs.reduce(0) { $0 + 4 + $1.namespace.count })
            for job in jobs { namespaces.append(job.namespace) }
            parameters.append(namespaces.finish())
            parameters.append(.bytes(revoking.writer))
            parameters.append(.text(revoking.channel))
        }
        for part in parts { parameters += part.columns }
        self.parameters = parameters
        let revocation: Revocation = revoking == nil ? .none : lockingAhead ? .afterLocking : .inFunction
        sql = Self.variants[Self.variantIndex(parts.map(\.part), revocation: revocation)]
        rowCount = final.count
        if revocation == .afterLocking {
            let keys = PostgresReadLeaseSQL.lockKeys(jobs.map(\.namespace))
            lockStatement = (PostgresReadLeaseSQL.lockSQL, [.int4Array(keys.high), .int4Array(keys.low)])
        } else {
            lockStatement = nil
        }
    }

    /// A row of some namespace.
    struct RowKey: Hashable {
        var namespace: [UInt8]
        var name: [UInt8]

        /// Hashes the bytes in one call each, not one `combine` per byte (`HashedBytes`).
        func hash(into hasher: inout Hasher) {
            namespace.withUnsafeBytes { hasher.combine(bytes: $0) }
            name.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    /// One write per row with the effect of applying every job's writes in order. An insert
    /// after a put or insert of the same row does nothing; after a delete the row is absent, so
    /// the insert becomes a put.
    static func finalWrites(_ jobs: [PostgresGroupCommit.Job]) -> [(key: RowKey, write: StorageWrite)] {
        // One write (a lone `kv-store` call) is its own final state: no dictionary.
        if jobs.count == 1, let job = jobs.first, job.writes.count == 1, let write = job.writes.first {
            return [(RowKey(namespace: job.namespace, name: write.rowName), write)]
        }
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

    /// The part that applies `write`.
    private static func part(of write: StorageWrite) -> Part {
        switch write {
        case .put: .puts
        case .insert: .inserts
        case .delete: .deletes
        }
    }

    private static func precedes(_ a: RowKey, _ b: RowKey) -> Bool {
        a.namespace == b.namespace ? a.name.lexicographicallyPrecedes(b.name) : a.namespace.lexicographicallyPrecedes(b.namespace)
    }

    /// Rows bound as one `bytea[]` parameter per column, each built directly in its binary
    /// array format (no buffer per cell, no second encoding pass).
    private struct Columns {
        var namespaces: PostgresBinaryArray, names: PostgresBinaryArray
        var sealedNames: PostgresBinaryArray, values: PostgresBinaryArray

        /// The bytes of a part's columns (each cell's and its length's), and its rows.
        struct Sizes {
            var rows = 0, namespaces = 0, names = 0, sealedNames = 0, values = 0

            mutating func add(_ namespace: [UInt8], _ write: StorageWrite) {
                rows += 1
                namespaces += 4 + namespace.count
                names += 4 + write.rowName.count
                sealedNames += 4
                values += 4
                switch write {
                case .put(_, let sealedName, let value), .insert(_, let sealedName, let value):
                    sealedNames += sealedName.count
                    values += value.count
                case .delete:
                    break
                }
            }
        }

        /// Empty columns with room for `sizes`.
        init(_ sizes: Sizes) {
            namespaces = PostgresBinaryArray(capacity: sizes.namespaces)
            names = PostgresBinaryArray(capacity: sizes.names)
            sealedNames = PostgresBinaryArray(capacity: sizes.sealedNames)
            values = PostgresBinaryArray(capacity: sizes.values)
        }

        mutating func append(_ namespace: [UInt8], _ name: [UInt8], _ sealedName: [UInt8] = [], _ value: [UInt8] = []) {
            namespaces.append(namespace)
            names.append(name)
            sealedNames.append(sealedName)
            values.append(value)
        }

        /// The first `count` columns in the statement's parameter order (namespaces, names,
        /// sealed names, values), finished.
        mutating func finish(first count: Int = 4) -> [PostgresBinaryParameter] {
            let all = [namespaces.finish(), names.finish(), sealedNames.finish(), values.finish()]
            return Array(all.prefix(count))
        }
    }
}
