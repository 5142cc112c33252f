import Logging

/// Which connection, and which of its requests, a piece of work came from: the `connection`
/// and `request` metadata of its log lines. Two integers, so carrying it costs nothing on the
/// call path; the metadata is built only when a line is written.
struct RequestOrigin: Sendable, Equatable {
    /// The connection's number, counted from 1 since the server started (0: not a connection).
    var connection: UInt64
    /// The request's number on its connection, counted from 1.
    var request: UInt64

    /// Work that came from no connection (start-up, the cluster, tests).
    static let none = RequestOrigin(connection: 0, request: 0)

    /// `connection` and `request`, when they are known.
    var metadata: Logger.Metadata {
        guard connection != 0 else { return [:] }
        return ["connection": .stringConvertible(connection), "request": .stringConvertible(request)]
    }
}
