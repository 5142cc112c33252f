import NIOCore
import PostgresNIO

/// Single-row reads of the PostgreSQL backend (a sealed value, or only a row's size), shared by
/// concurrent callers: reads that arrive while one is on its way to the database queue up, and
/// the next statement answers all of them (`PostgresStatementBatcher`). A `kv-store` of a stored
/// file asks a row's size (its truncating `open-at`), so N concurrent writers send one read
/// instead of N, each a round trip through the pool's event loop and a statement for the
/// database to run.
///
/// Coherence is unchanged: a read's statement is sent after the read was asked, so it sees every
/// commit acknowledged before. A read alone runs at once, as a plain prepared statement.
enum PostgresRowReads {
    /// One caller's read.
    struct Read: Sendable {
        var namespace: [UInt8]
        var name: [UInt8]
        /// Whether the caller wants the sealed value; else only the row's size.
        var wantsValue: Bool
    }

    /// A row that exists: its sealed value (when asked) and its stored bytes (when only the
    /// size was asked, or several reads shared the statement).
    struct Found: Sendable {
        var value: [UInt8]?
        var size: Int64?
    }

    static let valueSQL = "SELECT value FROM enclaveos_kv WHERE ns = $1 AND name = $2"
    static let sizeSQL = """
        SELECT (octet_length(value) + octet_length(sealed_name))::bigint FROM enclaveos_kv WHERE ns = $1 AND name = $2
        """
    /// Several reads: row i of the answer is read i (1-based); a missing row has no answer row.
    /// A value is sent only to a read that wants it.
    static let sharedSQL = """
        SELECT d.i, CASE WHEN d.v THEN k.value END, (octet_length(k.value) + octet_length(k.sealed_name))::bigint
        FROM unnest($1::bytea[], $2::bytea[], $3::bool[]) WITH ORDINALITY AS d(ns, name, v, i)
        JOIN enclaveos_kv k ON k.ns = d.ns AND k.name = d.name
        """

    /// Answers `reads` with one statement on one connection of `pool`; on an error, every read
    /// of the batch fails with it (a read applies nothing, so its caller may simply ask again).
    static func run(_ reads: [Read], pool: PostgresPool) -> [Result<Found?, any Error>] {
        do {
            let answers = try reads.count == 1 ? [runAlone(reads[0], pool: pool)] : runShared(reads, pool: pool)
            return answers.map { .success($0) }
        } catch {
            return reads.map { _ in .failure(error) }
        }
    }

    private static func runAlone(_ read: Read, pool: PostgresPool) throws -> Found? {
        let operation = read.wantsValue ? "read a value" : "measure a row"
        let binds = [PostgresPreparedStatements.bytes(read.namespace), PostgresPreparedStatements.bytes(read.name)]
        return try pool.withConnection(operation) { connection in
            guard let row = try pool.queryPrepared(connection, read.wantsValue ? valueSQL : sizeSQL, binds, operation: operation).first else {
                return nil
            }
            return read.wantsValue ? Found(value: try row.bytes(0), size: nil) : Found(value: nil, size: try row.int64(0))
        }
    }

    private static func runShared(_ reads: [Read], pool: PostgresPool) throws -> [Found?] {
        let operation = "read \(reads.count) rows"
        let binds = [try PostgresPreparedStatements.byteArrays(reads.map { ByteBuffer(bytes: $0.namespace) }),
                     try PostgresPreparedStatements.byteArrays(reads.map { ByteBuffer(bytes: $0.name) }),
                     try PostgresPreparedStatements.boolArray(reads.map(\.wantsValue))]
        let rows = try pool.withConnection(operation) { connection in
            try pool.queryPrepared(connection, sharedSQL, binds, operation: operation)
        }
        var answers = [Found?](repeating: nil, count: reads.count)
        for row in rows {
            let ordinal = try row.int64(0)
            // The host runs the database: an answer for a read that was not asked is refused.
            guard ordinal >= 1, ordinal <= Int64(reads.count), answers[Int(ordinal) - 1] == nil else {
                throw SealedStoreError.integrity("PostgreSQL answered read \(ordinal) of \(reads.count) (twice, or never asked)")
            }
            let read = reads[Int(ordinal) - 1]
            answers[Int(ordinal) - 1] = Found(value: read.wantsValue ? try row.bytes(1) : nil, size: try row.int64(2))
        }
        return answers
    }
}

extension PostgresRow {
    /// Column `index` as bytes; a type mismatch is a `backend` error, never a crash.
    func bytes(_ index: Int) throws -> [UInt8] {
        let cells = makeRandomAccess()
        guard index < cells.count else { throw Self.missing(index) }
        let buffer = try cells[index].decode(ByteBuffer.self)
        return Array(buffer.readableBytesView)
    }

    /// Column `index` as a 64-bit integer (a `bigint`), read from its binary form. Every result
    /// comes back binary (PostgresNIO's Bind asks so), but a statement prepared with
    /// `prepare(query:)` keeps the column formats of its Describe answer (text), so PostgresNIO's
    /// own decoding would parse the 8 bytes as text and fail.
    func int64(_ index: Int) throws -> Int64 {
        let cells = makeRandomAccess()
        guard index < cells.count else { throw Self.missing(index) }
        let cell = cells[index]
        guard cell.dataType == .int8, var bytes = cell.bytes, bytes.readableBytes == 8, let value = bytes.readInteger(as: Int64.self) else {
            throw SealedStoreError.backend(operation: "PostgreSQL: read a row", code: 0,
                                           message: "column \(index) is not a bigint (\(cell.dataType), \(cell.bytes?.readableBytes ?? 0) bytes)")
        }
        return value
    }

    private static func missing(_ index: Int) -> SealedStoreError {
        .backend(operation: "PostgreSQL: read a row", code: 0, message: "the row has no column \(index)")
    }
}
