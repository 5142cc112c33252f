import NIOCore
import PostgresNIO
import Synchronization

/// The one connection the group commit sends its statements on, from the committing thread
/// (`PostgresWireConnection`: no event-loop hop on a commit's round trip). The group commit
/// runs one commit at a time per node, so one connection is enough; the lock only guards
/// against misuse.
///
/// Opened on first use, with the pool's settings (`statement_timeout`) and bounds
/// (`operationTimeout`). After a failure other than the database's refusal it is dropped and
/// the next commit connects again, as the pool replaces a broken connection.
final class PostgresCommitConnection: Sendable {
    /// Longest connect: as long as the pool's (`PostgresPool`).
    static let connectTimeout: TimeAmount = .seconds(10)
    /// SQLSTATEs saying the connection's prepared statement is unknown (26000), its cached plan
    /// no longer fits the tables (0A000, "cached plan must not change result type"), or a name
    /// it prepares is taken already (42P05: our count of them is out of step with the session's).
    static let preparedStatementGone: Set<String> = ["26000", "0A000", "42P05"]
    /// Most statements one `run` sends as a pipeline (a commit: its lease locks, then its
    /// writes); `run` refuses more, since the connection's `statement_timeout` is cut to match.
    static let maxPipelined = 2

    private let url: PostgresURL
    private let pool: PostgresPool
    private let state = Mutex<State>(State())

    private struct State: ~Copyable {
        var connection: PostgresWireConnection?
        var closed = false
    }

    init(url: PostgresURL, pool: PostgresPool) {
        self.url = url
        self.pool = pool
    }

    /// Runs `statements` as one pipeline (one round trip, one transaction) on the connection
    /// (opened first if needed), counted once in the pool's `statementCount`; the last one's rows.
    /// - Throws: `PostgresWireError` for the statement (its SQLSTATE when the database refused
    ///   it; else whether it may have been sent); a `SealedStoreError` when no connection could
    ///   be made or the store is closed (nothing was sent).
    func run(_ statements: [(sql: String, parameters: [PostgresBinaryParameter])], operation: String) throws -> PostgresWireConnection.Rows {
        guard (1...Self.maxPipelined).contains(statements.count) else {
            throw SealedStoreError.backend(operation: "PostgreSQL: \(operation)", code: 0,
                                           message: "\(statements.count) statements in one pipeline (1 to \(Self.maxPipelined); a bug)")
        }
        DatabaseWait.willWait()
        return try state.withLock { state throws -> PostgresWireConnection.Rows in
            guard !state.closed else {
                throw SealedStoreError.backend(operation: "PostgreSQL: \(operation)", code: 0, message: "the store is closed")
            }
            if let stale = state.connection, !stale.isUsable {
                // Dead while idle (a database restart): noticed before sending, so nothing is lost.
                stale.close()
                state.connection = nil
            }
            let connection = try state.connection ?? connect()
            state.connection = connection
            pool.countStatement()
            do {
                return try connection.run(statements, timeout: pool.operationTimeout.nanoseconds, operation: operation)
            } catch {
                if connection.isClosed {
                    state.connection = nil
                } else if let code = (error as? PostgresWireError)?.sqlState, Self.preparedStatementGone.contains(code) {
                    // What this connection prepared no longer holds (a schema change under it):
                    // a new connection prepares afresh, instead of every commit failing.
                    connection.close()
                    state.connection = nil
                }
                throw error
            }
        }
    }

    /// A new connection; a failure is a `backend` error (no statement was sent).
    private func connect() throws(SealedStoreError) -> PostgresWireConnection {
        let timeout = min(Self.connectTimeout.nanoseconds, pool.operationTimeout.nanoseconds)
        do {
            return try PostgresWireConnection.connect(url, settings: pool.startupSettings(pipelining: Self.maxPipelined),
                                                      timeout: timeout)
        } catch let error as PostgresWireError {
            throw error.backendError
        } catch {
            throw SealedStoreError.backend(operation: "PostgreSQL: connect to \(url)", code: 0, message: "\(error)")
        }
    }

    /// Closes the connection; later commits fail.
    func close() {
        state.withLock { state in
            state.closed = true
            state.connection?.close()
            state.connection = nil
        }
    }
}
