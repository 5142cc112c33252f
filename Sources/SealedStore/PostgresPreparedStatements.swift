import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO

/// The statements each pooled connection has prepared. PostgreSQL parses and plans an unnamed
/// statement again every time it runs (a profile put about 40% of its CPU per statement there);
/// a prepared one is parsed once per connection and its plan reused. A prepared statement lives
/// in its connection's session, so it is prepared again on a new connection (after a reconnect)
/// and forgotten with the old one.
final class PostgresPreparedStatements: Sendable {
    /// Per connection id: SQL text → its prepared statement. At most one entry per pooled
    /// connection and statement of this file's users (a fixed set).
    private let prepared = NIOLockedValueBox<[PostgresConnection.ID: [String: PreparedQuery]]>([:])

    /// `sql` prepared on `connection`, preparing it first if needed (one more round trip, once).
    func statement(_ sql: String, on connection: PostgresConnection, timeout: TimeAmount, operation: String) throws -> PreparedQuery {
        if let known = prepared.withLockedValue({ $0[connection.id]?[sql] }) { return known }
        let made = try BlockingWait.result(of: connection.prepare(query: sql), timeout: timeout, operation: "prepare: \(operation)")
        prepared.withLockedValue { $0[connection.id, default: [:]][sql] = made }
        return made
    }

    /// Drops what `connection` prepared (it closed, or a statement on it timed out).
    func forget(_ connection: PostgresConnection) {
        _ = prepared.withLockedValue { $0.removeValue(forKey: connection.id) }
    }

    /// A `bytea` parameter.
    static func bytes(_ value: [UInt8]) -> PostgresData {
        PostgresData(type: .bytea, formatCode: .binary, value: ByteBuffer(bytes: value))
    }

    /// A `bytea[]` parameter, in PostgreSQL's binary array format.
    static func byteArrays(_ values: [ByteBuffer]) throws -> PostgresData {
        var buffer = ByteBuffer()
        try values.encode(into: &buffer, context: .default)
        return PostgresData(type: .byteaArray, formatCode: .binary, value: buffer)
    }

    /// A `bool[]` parameter, in PostgreSQL's binary array format.
    static func boolArray(_ values: [Bool]) throws -> PostgresData {
        var buffer = ByteBuffer()
        try values.encode(into: &buffer, context: .default)
        return PostgresData(type: .boolArray, formatCode: .binary, value: buffer)
    }
}
