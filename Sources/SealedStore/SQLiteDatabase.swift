// The C API of the SQLite amalgamation that sqlite-nio vendors (symbols prefixed `sqlite_nio_`).
// We call it directly instead of going through SQLiteNIO's future-based connection: the WASI host
// calls the store synchronously from inside a WebAssembly call, and a hop through NIO's thread
// pool per statement would cost more than the statement itself. The version is pinned exactly in
// Package.swift, so this internal module cannot change under us.
import VaporCSQLite

/// Bound parameter of a statement.
enum SQLiteValue {
    case blob([UInt8])
    case int(Int64)
    case text(String)
}

/// One SQLite connection with a cache of prepared statements.
///
/// Not thread-safe by itself: `SQLiteBackend` serialises every use under its lock (the
/// connection is opened with `SQLITE_OPEN_NOMUTEX` for that reason).
final class SQLiteDatabase {
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    let path: String

    /// Opens (creating if needed) the database file at `path`.
    init(path: String) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite_nio_sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite_nio_sqlite3_close_v2(db) }
            throw SealedStoreError.backend(operation: "open \(path)", code: rc, message: message)
        }
        self.handle = db
    }

    deinit { close() }

    /// Finalizes every statement and closes the connection. Safe to call twice.
    func close() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        statements.removeAll()
        if let handle { sqlite_nio_sqlite3_close_v2(handle) }
        handle = nil
    }

    private func error(_ operation: String, _ rc: Int32) -> SealedStoreError {
        let message = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "connection closed"
        return .backend(operation: operation, code: rc, message: message)
    }

    /// Runs SQL without parameters or results (schema, pragmas, BEGIN/COMMIT).
    func execute(_ sql: String) throws {
        guard let handle else { throw error("execute", SQLITE_MISUSE) }
        let rc = sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(sql, rc) }
    }

    /// Runs one statement and returns its single text/int column of the first row (for pragmas).
    func scalarText(_ sql: String) throws -> String? {
        var result: String?
        try query(sql, []) { row in
            result = row.text(0)
            return false
        }
        return result
    }

    /// Runs a statement, calling `row` for each result row until it returns false.
    func query(_ sql: String, _ parameters: [SQLiteValue], row: (SQLiteRowView) throws -> Bool = { _ in true }) throws {
        let statement = try prepared(sql)
        // Reset even on a thrown error so the statement never holds a read transaction open.
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        try bind(parameters, to: statement, sql: sql)
        while true {
            let rc = sqlite_nio_sqlite3_step(statement)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw error(sql, rc) }
            if try !row(SQLiteRowView(statement: statement)) { return }
        }
    }

    /// Rows changed by the last INSERT/UPDATE/DELETE.
    var changes: Int {
        handle.map { Int(sqlite_nio_sqlite3_changes($0)) } ?? 0
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        guard let handle else { throw error("prepare", SQLITE_MISUSE) }
        var statement: OpaquePointer?
        let rc = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error("prepare \(sql)", rc) }
        statements[sql] = statement
        return statement
    }

    private func bind(_ parameters: [SQLiteValue], to statement: OpaquePointer, sql: String) throws {
        for (offset, parameter) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch parameter {
            case .blob(let bytes):
                // SQLITE_TRANSIENT: SQLite copies the bytes, so the Swift array may go away.
                // A zero-length blob still needs a non-null pointer to bind as a blob, not NULL.
                rc = bytes.withUnsafeBytes { raw in
                    sqlite_nio_sqlite3_bind_blob64(statement, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                                                   UInt64(raw.count), sqliteTransient)
                }
            case .int(let value):
                rc = sqlite_nio_sqlite3_bind_int64(statement, index, value)
            case .text(let text):
                rc = sqlite_nio_sqlite3_bind_text64(statement, index, text, UInt64(text.utf8.count),
                                                    sqliteTransient, UInt8(SQLITE_UTF8))
            }
            guard rc == SQLITE_OK else { throw error("bind \(sql)", rc) }
        }
    }
}

/// `SQLITE_TRANSIENT` is a C macro casting -1 to a function pointer; Swift cannot import it.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// Read access to the current row of a stepping statement; valid only inside the callback.
struct SQLiteRowView {
    let statement: OpaquePointer

    /// Column `index` as bytes (copied out); an SQL NULL or empty blob is `[]`.
    func blob(_ index: Int32) -> [UInt8] {
        let count = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
        guard count > 0, let base = sqlite_nio_sqlite3_column_blob(statement, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Column `index` as a 64-bit integer.
    func int(_ index: Int32) -> Int64 {
        sqlite_nio_sqlite3_column_int64(statement, index)
    }

    /// Column `index` as text, nil for NULL.
    func text(_ index: Int32) -> String? {
        guard let pointer = sqlite_nio_sqlite3_column_text(statement, index) else { return nil }
        return String(cString: pointer)
    }
}
