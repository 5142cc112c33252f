import Foundation

/// The default backend: one SQLite file per server holding every app's rows and the sealed
/// app registry.
///
/// Durability: WAL journal with `synchronous=FULL` by default. In WAL mode `NORMAL` already keeps
/// every commit atomic and survives a killed process, but after a power loss or kernel crash it may
/// drop the last few *committed* transactions (the WAL is synced only at checkpoints). SPEC §7
/// allows losing at most the write in flight, so `FULL` (fsync of the WAL at each commit) is the
/// default; `.normal` is offered for hosts where throughput matters more (measure both).
///
/// Thread safety: one connection, every call serialised under a lock. SQLite allows a single
/// writer anyway, and a point read is tens of microseconds, so a lock is simpler and faster than
/// a pool of connections.
public final class SQLiteBackend: StorageBackend, @unchecked Sendable {
    /// How hard each commit pushes data to stable storage.
    public enum Durability: String, Sendable {
        /// WAL + `synchronous=FULL`: a commit that returned survives power loss.
        case full
        /// WAL + `synchronous=NORMAL`: atomic and crash-safe for process death; the last commits
        /// may be lost on power loss.
        case normal
    }

    /// The on-disk schema version stored in `PRAGMA user_version`.
    static let schemaVersion = 1

    private let database: SQLiteDatabase
    // Guards `database`: SQLiteDatabase is not thread-safe (opened with SQLITE_OPEN_NOMUTEX).
    private let lock = NSLock()
    /// Path of the SQLite file.
    public let path: String

    /// Opens or creates the store file at `path` and brings its schema up to date.
    ///
    /// - Throws: `SealedStoreError.backend` when the file cannot be opened, is not a SQLite
    ///   database, or was written by a newer schema version.
    public init(path: String, durability: Durability = .full) throws {
        self.path = path
        database = try SQLiteDatabase(path: path)
        // Wait rather than fail if another connection (e.g. an operator's backup tool) holds a lock.
        try database.execute("PRAGMA busy_timeout = 5000")
        let mode = try database.scalarText("PRAGMA journal_mode = WAL")
        guard mode?.lowercased() == "wal" else {
            throw SealedStoreError.backend(operation: "enable WAL on \(path)", code: 0,
                                           message: "journal_mode is '\(mode ?? "nil")'; the file system must support WAL (shared memory)")
        }
        try database.execute("PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
        try migrate()
    }

    private func migrate() throws {
        let version = Int(try database.scalarText("PRAGMA user_version") ?? "0") ?? 0
        guard version <= Self.schemaVersion else {
            throw SealedStoreError.backend(operation: "open \(path)", code: 0,
                                           message: "schema version \(version) is newer than this server (\(Self.schemaVersion)); upgrade the server")
        }
        guard version < Self.schemaVersion else { return }
        // Rowid tables with a primary-key index: WITHOUT ROWID tables with large blobs made the
        // file much larger in measurements (ENGINEERING-NOTES).
        try transaction {
            try database.execute("""
                CREATE TABLE IF NOT EXISTS kv (
                    ns BLOB NOT NULL,
                    name BLOB NOT NULL,
                    sealed_name BLOB NOT NULL,
                    value BLOB NOT NULL,
                    PRIMARY KEY (ns, name)
                );
                CREATE TABLE IF NOT EXISTS apps (
                    id BLOB PRIMARY KEY NOT NULL,
                    record BLOB NOT NULL
                );
                PRAGMA user_version = \(Self.schemaVersion);
                """)
        }
    }

    /// Closes the connection; further calls fail with a `backend` error.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        database.close()
        directoryLock?.release()
    }

    /// The data-directory lock this backend holds (see `SealedStore.open(…exclusive:)`),
    /// released by `close()` so a restarted server in the same process can take it again.
    var directoryLock: DataDirectoryLock?

    // Runs `body` inside BEGIN IMMEDIATE … COMMIT, rolling back on any error. IMMEDIATE takes the
    // write lock up front, so a transaction never fails half-way on a lock upgrade.
    private func transaction<T>(_ body: () throws -> T) throws -> T {
        try database.execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try database.execute("COMMIT")
            return result
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// The sealed value of row `name` in `namespace`, or nil.
    public func value(namespace: [UInt8], name: [UInt8]) throws -> [UInt8]? {
        try locked {
            var result: [UInt8]?
            try database.query("SELECT value FROM kv WHERE ns = ?1 AND name = ?2",
                               [.blob(namespace), .blob(name)]) { row in
                result = row.blob(0)
                return false
            }
            return result
        }
    }

    /// Applies all `writes` in one transaction (one fsync with `.full`).
    public func apply(namespace: [UInt8], writes: [StorageWrite]) throws {
        guard !writes.isEmpty else { return }
        try locked {
            try transaction {
                for write in writes {
                    switch write {
                    case .put(let name, let sealedName, let value):
                        try database.query(
                            "INSERT OR REPLACE INTO kv (ns, name, sealed_name, value) VALUES (?1, ?2, ?3, ?4)",
                            [.blob(namespace), .blob(name), .blob(sealedName), .blob(value)])
                    case .delete(let name):
                        try database.query("DELETE FROM kv WHERE ns = ?1 AND name = ?2",
                                           [.blob(namespace), .blob(name)])
                    }
                }
            }
        }
    }

    /// Every row name of `namespace` with its sealed logical name.
    public func names(namespace: [UInt8]) throws -> [StoredName] {
        try locked {
            var result: [StoredName] = []
            try database.query("SELECT name, sealed_name FROM kv WHERE ns = ?1", [.blob(namespace)]) { row in
                result.append(StoredName(name: row.blob(0), sealedName: row.blob(1)))
                return true
            }
            return result
        }
    }

    /// The number of rows in `namespace`.
    public func count(namespace: [UInt8]) throws -> Int {
        try locked {
            var result = 0
            try database.query("SELECT count(*) FROM kv WHERE ns = ?1", [.blob(namespace)]) { row in
                result = Int(row.int(0))
                return false
            }
            return result
        }
    }

    /// Rows of `namespace` and the bytes of their sealed values and names, in one query.
    public func usage(namespace: [UInt8]) throws -> StorageUsage {
        try locked {
            var result = StorageUsage(entries: 0, bytes: 0)
            try database.query("SELECT count(*), coalesce(sum(length(value) + length(sealed_name)), 0) FROM kv WHERE ns = ?1",
                               [.blob(namespace)]) { row in
                result = StorageUsage(entries: Int(row.int(0)), bytes: Int(row.int(1)))
                return false
            }
            return result
        }
    }

    /// The bytes of row `name`'s sealed value and name, without reading them.
    public func storedSize(namespace: [UInt8], name: [UInt8]) throws -> Int? {
        try locked {
            var result: Int?
            try database.query("SELECT length(value) + length(sealed_name) FROM kv WHERE ns = ?1 AND name = ?2",
                               [.blob(namespace), .blob(name)]) { row in
                result = Int(row.int(0))
                return false
            }
            return result
        }
    }

    /// The sealed app record stored under `id`, or nil.
    public func appRecord(id: [UInt8]) throws -> [UInt8]? {
        try locked {
            var result: [UInt8]?
            try database.query("SELECT record FROM apps WHERE id = ?1", [.blob(id)]) { row in
                result = row.blob(0)
                return false
            }
            return result
        }
    }

    /// Inserts or replaces a sealed app record (one atomic commit).
    public func putAppRecord(id: [UInt8], record: [UInt8]) throws {
        try locked {
            try transaction {
                try database.query("INSERT OR REPLACE INTO apps (id, record) VALUES (?1, ?2)",
                                   [.blob(id), .blob(record)])
            }
        }
    }

    /// Every sealed app record.
    public func allAppRecords() throws -> [(id: [UInt8], record: [UInt8])] {
        try locked {
            var result: [(id: [UInt8], record: [UInt8])] = []
            try database.query("SELECT id, record FROM apps", []) { row in
                result.append((row.blob(0), row.blob(1)))
                return true
            }
            return result
        }
    }

    /// Removes app record `id` and optionally its rows, in one transaction.
    public func removeApp(id: [UInt8], deletingNamespace namespace: [UInt8]?) throws -> Bool {
        try locked {
            let removed = try transaction {
                try database.query("DELETE FROM apps WHERE id = ?1", [.blob(id)])
                let removed = database.changes > 0
                if let namespace {
                    try database.query("DELETE FROM kv WHERE ns = ?1", [.blob(namespace)])
                }
                return removed
            }
            // The deleted record held the app key (sealed). SQLite is built with SECURE_DELETE,
            // so checkpointing now overwrites the freed pages in the main file and truncates the
            // WAL that still held the old page images. Best effort: a busy reader only delays it.
            try? database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return removed
        }
    }
}
