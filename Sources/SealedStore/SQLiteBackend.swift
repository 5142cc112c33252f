import Foundation

/// The default backend: one SQLite file per server holding every app's rows and the sealed
/// app registry.
///
/// Durability: WAL journal with `synchronous=FULL` by default. In WAL mode `NORMAL` already keeps
/// every commit atomic and survives a killed process, but after a power loss or kernel crash it may
/// drop the last few *committed* transactions (the WAL is synced only at checkpoints). docs/sdk.md, sealed store
/// allows losing at most the write in flight, so `FULL` (fsync of the WAL at each commit) is the
/// default; `.normal` is offered for hosts where throughput matters more (measure both).
///
/// Concurrency: two connections. Writes go through one writer connection with group commit
/// (`GroupCommit`): writers that arrive during a commit's fsync share the next commit, so the
/// fsync cost is paid once per batch, not once per write, and no write returns before it is
/// durable. Reads use a second connection under its own lock: in WAL mode a reader sees every
/// commit that has returned and is never blocked by a writer's fsync.
public final class SQLiteBackend: StorageBackend, @unchecked Sendable {
    // @unchecked: `reader` is only used under `readLock`; `writer` only by `commits`' leader;
    // `directoryLock` is only touched under `readLock`.
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

    private let reader: SQLiteDatabase
    private let readLock = NSLock()
    private let commits: GroupCommit<SQLiteDatabase>
    /// Path of the SQLite file.
    public let path: String

    /// Opens or creates the store file at `path` and brings its schema up to date.
    ///
    /// - Throws: `SealedStoreError.backend` when the file cannot be opened, is not a SQLite
    ///   database, or was written by a newer schema version.
    public init(path: String, durability: Durability = .full) throws {
        self.path = path
        let writer = try Self.openConnection(path: path, durability: durability)
        try Self.migrate(writer, path: path)
        reader = try Self.openConnection(path: path, durability: durability)
        commits = GroupCommit(connection: writer, transactions: Self.transactions)
    }

    private static func openConnection(path: String, durability: Durability) throws -> SQLiteDatabase {
        let database = try SQLiteDatabase(path: path)
        // Wait rather than fail if another connection (e.g. an operator's backup tool) holds a lock.
        try database.execute("PRAGMA busy_timeout = 5000")
        let mode = try database.scalarText("PRAGMA journal_mode = WAL")
        guard mode?.lowercased() == "wal" else {
            throw SealedStoreError.backend(operation: "enable WAL on \(path)", code: 0,
                                           message: "journal_mode is '\(mode ?? "nil")'; the file system must support WAL (shared memory)")
        }
        try database.execute("PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
        return database
    }

    private static func migrate(_ database: SQLiteDatabase, path: String) throws {
        let version = Int(try database.scalarText("PRAGMA user_version") ?? "0") ?? 0
        guard version <= schemaVersion else {
            throw SealedStoreError.backend(operation: "open \(path)", code: 0,
                                           message: "schema version \(version) is newer than this server (\(schemaVersion)); upgrade the server")
        }
        guard version < schemaVersion else { return }
        // Rowid tables with a primary-key index: WITHOUT ROWID tables with large blobs made the
        // file much larger in measurements (ENGINEERING-NOTES).
        try database.execute("BEGIN IMMEDIATE")
        do {
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
                PRAGMA user_version = \(schemaVersion);
                """)
            try database.execute("COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    // IMMEDIATE takes the write lock up front, so a transaction never fails half-way on a lock
    // upgrade; each job of a shared commit runs in a savepoint of its own.
    private static var transactions: GroupCommit<SQLiteDatabase>.Transactions {
        GroupCommit<SQLiteDatabase>.Transactions(
            begin: { try $0.execute("BEGIN IMMEDIATE") },
            commit: { try $0.execute("COMMIT") },
            rollback: { try? $0.execute("ROLLBACK") },
            savepoint: { try $0.execute("SAVEPOINT job") },
            releaseSavepoint: { try $0.execute("RELEASE job") },
            rollbackToSavepoint: { try $0.execute("ROLLBACK TO job") }
        )
    }

    /// Opened values of this store, kept only while this process holds the data-directory lock
    /// (`directoryLock`): then no other writer may open the file.
    private let openedValues = OpenedValueCache(enabled: false)

    /// The cache of opened values: disabled (keeps nothing) unless `directoryLock` is held.
    public var openedValueCache: OpenedValueCache? { openedValues }

    /// Closes both connections; further calls fail with a `backend` error.
    public func close() {
        openedValues.setEnabled(false)
        // Through the commit queue, so no leader is using the writer while it closes.
        _ = try? commits.write(standalone: true, { _ in }, afterCommit: { $0.close() })
        readLock.withLock {
            reader.close()
            directoryLock?.release()
        }
    }

    /// The data-directory lock this backend holds (see `SealedStore.open(…exclusive:)`),
    /// released by `close()` so a restarted server in the same process can take it again.
    var directoryLock: DataDirectoryLock? {
        didSet { openedValues.setEnabled(directoryLock != nil) }
    }

    /// Commits made and writes they carried since opening (writes per commit > 1: shared fsyncs).
    public var commitStatistics: (commits: Int, writes: Int) {
        let (commits, jobs) = commits.statistics
        return (commits, jobs)
    }

    private func read<T>(_ body: (SQLiteDatabase) throws -> T) rethrows -> T {
        readLock.lock()
        defer { readLock.unlock() }
        return try body(reader)
    }

    /// The sealed value of row `name` in `namespace`, or nil.
    public func value(namespace: [UInt8], name: [UInt8]) throws -> [UInt8]? {
        try read { database in
            var result: [UInt8]?
            try database.query("SELECT value FROM kv WHERE ns = ?1 AND name = ?2",
                               [.blob(namespace), .blob(name)]) { row in
                result = row.blob(0)
                return false
            }
            return result
        }
    }

    /// Applies all `writes` atomically; durable when it returns. Concurrent callers share one
    /// commit (one fsync with `.full`).
    public func apply(namespace: [UInt8], writes: [StorageWrite]) throws {
        guard !writes.isEmpty else { return }
        // No read caches these rows while the commit is under way; once committed, the cache
        // keeps what it now knows of them (a put's size, a delete's absence), else forgets them.
        try openedValues.writing(namespace: namespace, writes: writes) {
            try commit(writes, namespace: namespace)
        }
    }

    /// `writes` to `namespace` in one shared commit.
    private func commit(_ writes: [StorageWrite], namespace: [UInt8]) throws {
        try commits.write { database in
            for write in writes {
                switch write {
                case .put(let name, let sealedName, let value):
                    try database.query(
                        "INSERT OR REPLACE INTO kv (ns, name, sealed_name, value) VALUES (?1, ?2, ?3, ?4)",
                        [.blob(namespace), .blob(name), .blob(sealedName), .blob(value)])
                case .insert(let name, let sealedName, let value):
                    try database.query(
                        "INSERT INTO kv (ns, name, sealed_name, value) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (ns, name) DO NOTHING",
                        [.blob(namespace), .blob(name), .blob(sealedName), .blob(value)])
                case .delete(let name):
                    try database.query("DELETE FROM kv WHERE ns = ?1 AND name = ?2",
                                       [.blob(namespace), .blob(name)])
                }
            }
        }
    }

    /// Every row name of `namespace` with its sealed logical name.
    public func names(namespace: [UInt8]) throws -> [StoredName] {
        try read { database in
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
        try read { database in
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
        try read { database in
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
        try read { database in
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
        try read { database in
            var result: [UInt8]?
            try database.query("SELECT record FROM apps WHERE id = ?1", [.blob(id)]) { row in
                result = row.blob(0)
                return false
            }
            return result
        }
    }

    /// Inserts or replaces a sealed app record (durable when it returns).
    public func putAppRecord(id: [UInt8], record: [UInt8]) throws {
        try commits.write { database in
            try database.query("INSERT OR REPLACE INTO apps (id, record) VALUES (?1, ?2)", [.blob(id), .blob(record)])
        }
    }

    /// Inserts a sealed app record unless one is stored under `id` (one statement).
    public func addAppRecord(id: [UInt8], record: [UInt8]) throws -> Bool {
        try commits.write { database in
            try database.query("INSERT OR IGNORE INTO apps (id, record) VALUES (?1, ?2)", [.blob(id), .blob(record)])
            return database.changes > 0
        }
    }

    /// Every sealed app record.
    public func allAppRecords() throws -> [(id: [UInt8], record: [UInt8])] {
        try read { database in
            var result: [(id: [UInt8], record: [UInt8])] = []
            try database.query("SELECT id, record FROM apps", []) { row in
                result.append((row.blob(0), row.blob(1)))
                return true
            }
            return result
        }
    }

    /// Removes app record `id` and optionally its rows, in one transaction of its own.
    public func removeApp(id: [UInt8], deletingNamespace namespace: [UInt8]?) throws -> Bool {
        guard let namespace else { return try removeRecord(id: id, deletingNamespace: nil) }
        return try openedValues.writingAll(namespace: namespace) {
            try removeRecord(id: id, deletingNamespace: namespace)
        }
    }

    private func removeRecord(id: [UInt8], deletingNamespace namespace: [UInt8]?) throws -> Bool {
        try commits.write(standalone: true, { database in
            try database.query("DELETE FROM apps WHERE id = ?1", [.blob(id)])
            let removed = database.changes > 0
            if let namespace {
                try database.query("DELETE FROM kv WHERE ns = ?1", [.blob(namespace)])
            }
            return removed
        }, afterCommit: { database in
            // The deleted record held the app key (sealed). SQLite is built with SECURE_DELETE,
            // so checkpointing now overwrites the freed pages in the main file and truncates the
            // WAL that still held the old page images. Best effort: a busy reader only delays it.
            try? database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        })
    }
}
