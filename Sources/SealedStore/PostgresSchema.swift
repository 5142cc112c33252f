import PostgresNIO

/// The PostgreSQL schema of the sealed store, created or checked when a server connects.
///
/// Tables carry an `enclaveos_` prefix so the database may be shared with other software. Three
/// servers starting together all run the migration: a transaction-scoped advisory lock makes them
/// take turns (concurrent `CREATE TABLE IF NOT EXISTS` can otherwise fail on PostgreSQL's catalog).
enum PostgresSchema {
    /// The version this server writes; a database at a newer one is refused. Version 2 added
    /// read leases: a server of version 1 would write without revoking them, so it must not
    /// start on a database that servers with read caches use. Version 3 orders lease grants
    /// against commits with advisory locks (`PostgresReadLeaseSQL.functions`): a server of
    /// version 2 would commit without them, so it must not share a database with version 3.
    static let version: Int64 = 3
    /// Key of the advisory lock held during migration ("EOS" ‖ 1).
    static let migrationLock: Int64 = 0x454F_5301

    static let create = """
        CREATE TABLE IF NOT EXISTS enclaveos_schema (version bigint NOT NULL);
        CREATE SEQUENCE IF NOT EXISTS enclaveos_app_version;
        CREATE TABLE IF NOT EXISTS enclaveos_kv (
            ns bytea NOT NULL,
            name bytea NOT NULL,
            sealed_name bytea NOT NULL,
            value bytea NOT NULL,
            PRIMARY KEY (ns, name)
        );
        CREATE TABLE IF NOT EXISTS enclaveos_apps (
            id bytea PRIMARY KEY,
            record bytea NOT NULL,
            version bigint NOT NULL DEFAULT nextval('enclaveos_app_version')
        );
        CREATE TABLE IF NOT EXISTS enclaveos_cluster (
            name text PRIMARY KEY,
            value bytea NOT NULL
        );
        CREATE TABLE IF NOT EXISTS enclaveos_read_leases (
            namespace bytea NOT NULL,
            node bytea NOT NULL,
            lease_id bigint NOT NULL,
            expires_at timestamptz NOT NULL,
            revoked boolean NOT NULL DEFAULT false,
            PRIMARY KEY (namespace, node)
        );
        """

    /// Creates the schema if missing, or checks its version.
    static func migrate(_ pool: PostgresPool) throws {
        try pool.withConnection("create the schema") { connection in
            _ = try pool.query(connection, "BEGIN", operation: "begin the migration")
            do {
                var lock = PostgresBindings()
                lock.append(migrationLock)
                _ = try pool.query(connection, "SELECT pg_advisory_xact_lock($1)", lock, operation: "lock the migration")
                for statement in create.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                    _ = try pool.query(connection, String(statement), operation: "create the schema")
                }
                let stored = try pool.query(connection, "SELECT max(version) FROM enclaveos_schema", operation: "read the schema version")
                let found = try stored.first.flatMap { row -> Int64? in
                    let cell = row.makeRandomAccess()[0]
                    return cell.bytes == nil ? nil : try cell.decode(Int64.self)
                }
                if let found, found > version {
                    throw SealedStoreError.backend(operation: "PostgreSQL: open the store", code: 0,
                                                   message: "schema version \(found) is newer than this server (\(version)); upgrade the server")
                }
                // Whole statements (their bodies hold semicolons), replaced at every start of a
                // server of this version: an upgrade from version 2 gets them.
                for function in PostgresReadLeaseSQL.functions {
                    _ = try pool.query(connection, function, operation: "create the read lease functions")
                }
                if (found ?? 0) < version {
                    var bindings = PostgresBindings()
                    bindings.append(version)
                    _ = try pool.query(connection, "DELETE FROM enclaveos_schema", operation: "record the schema version")
                    _ = try pool.query(connection, "INSERT INTO enclaveos_schema (version) VALUES ($1)", bindings,
                                       operation: "record the schema version")
                }
                _ = try pool.query(connection, "COMMIT", operation: "commit the migration")
            } catch {
                _ = try? pool.query(connection, "ROLLBACK", operation: "roll back the migration")
                throw error
            }
        }
    }

    /// Refuses to open when the connections do not run with the `statement_timeout` the pool
    /// asked for at connect: a node's read cache relies on it to know when a commit it gave up on
    /// can no longer land (`ReadLeaseQuarantine`). A connection pooler that drops startup
    /// parameters would otherwise leave that bound silently unenforced.
    static func requireStatementTimeout(_ pool: PostgresPool) throws {
        let expected = max(1, pool.serverStatementTimeout.nanoseconds / 1_000_000)
        let found = try pool.withConnection("read statement_timeout") { connection in
            try pool.query(connection, "SELECT setting FROM pg_settings WHERE name = 'statement_timeout'",
                           operation: "read statement_timeout").first.map { try $0.makeRandomAccess()[0].decode(String.self) }
        }
        guard let found, Int64(found) == expected else {
            throw SealedStoreError.backend(operation: "PostgreSQL: open the store", code: 0, message:
                "the database's connections run with statement_timeout = \(found ?? "nothing") ms, not the \(expected) ms this "
                + "server asked for when connecting (a connection pooler that drops startup parameters?); the read cache "
                + "relies on it: connect to PostgreSQL directly, or turn the cache off with read_cache=off")
        }
    }

    /// What in the database's settings could lose an acknowledged write (empty when nothing).
    static func durabilityWarnings(_ pool: PostgresPool) throws -> [String] {
        var warnings: [String] = []
        for (setting, safe) in [("fsync", "on"), ("synchronous_commit", "on"), ("full_page_writes", "on")] {
            let value = try pool.withConnection("read \(setting)") { connection in
                try pool.query(connection, "SHOW \(setting)", operation: "read \(setting)").first.map { row in
                    try row.makeRandomAccess()[0].decode(String.self)
                }
            }
            // synchronous_commit = remote_write / remote_apply / on all wait for the local flush.
            let acceptable = setting == "synchronous_commit" ? ["on", "remote_write", "remote_apply"] : [safe]
            if let value, !acceptable.contains(value) {
                warnings.append("PostgreSQL has \(setting) = \(value): an acknowledged write can be lost in a database crash (set it to \(safe))")
            }
        }
        return warnings
    }
}
