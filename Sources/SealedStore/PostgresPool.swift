import Dispatch
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// A bounded pool of PostgreSQL connections used *synchronously*: the WASI host calls the store
/// from call threads inside a WebAssembly call, so every operation here blocks its caller until
/// the database answers.
///
/// The connections live on a private event loop group of their own, never on the server's event
/// loops, so a call the server runs on one of its event loops may wait here without deadlock; it
/// stalls that loop for one round trip, and `DatabaseWait`'s observer keeps its export off the
/// event loops afterwards. A connection that broke (database restart, network) is dropped
/// and a fresh one opened on the next use, so the server rides out a database restart: the
/// operations in flight fail, later ones succeed.
final class PostgresPool: Sendable {
    /// Longest wait for a free connection, a connect, or one statement.
    static let operationTimeout: TimeAmount = .seconds(30)

    private let url: PostgresURL
    private let group: MultiThreadedEventLoopGroup
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let idle = NIOLockedValueBox<Idle>(Idle())
    private let slots: DispatchSemaphore
    private let statements = Atomic<Int>(0)
    private let preparedStatements = PostgresPreparedStatements()

    private struct Idle {
        var connections: [PostgresConnection] = []
        var nextID = 1
        var closed = false
    }

    init(url: PostgresURL) throws {
        self.url = url
        var logger = Logger(label: "enclaveos.postgres")
        logger.logLevel = .error
        self.logger = logger
        let tls: PostgresConnection.Configuration.TLS
        switch url.tls {
        case .disable:
            tls = .disable
        case .require:
            do {
                tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            } catch {
                throw SealedStoreError.backend(operation: "TLS for \(url)", code: 0, message: "\(error)")
            }
        }
        var configuration = PostgresConnection.Configuration(host: url.host, port: url.port, username: url.username,
                                                             password: url.password, database: url.database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        self.configuration = configuration
        // Two threads: enough to keep a pool of connections busy; the work is the database's.
        group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        slots = DispatchSemaphore(value: url.poolSize)
    }

    /// Runs `body` with a connection of the pool, waiting for a free one if all are in use.
    func withConnection<T>(_ operation: String, _ body: (PostgresConnection) throws -> T) throws -> T {
        guard slots.wait(timeout: .now() + .seconds(Int(Self.operationTimeout.nanoseconds / 1_000_000_000))) == .success else {
            throw failure(operation, "no database connection became free within \(Self.operationTimeout.nanoseconds / 1_000_000_000) s")
        }
        defer { slots.signal() }
        let connection = try checkOut(operation)
        do {
            let result = try body(connection)
            checkIn(connection)
            return result
        } catch {
            // A statement error leaves the connection usable; a broken one is dropped.
            checkIn(connection)
            throw error
        }
    }

    private func checkOut(_ operation: String) throws -> PostgresConnection {
        while true {
            let taken = idle.withLockedValue { idle -> (PostgresConnection?, Int, Bool) in
                let id = idle.nextID
                if idle.connections.isEmpty { idle.nextID += 1 }
                return (idle.connections.popLast(), id, idle.closed)
            }
            guard !taken.2 else { throw failure(operation, "the store is closed") }
            if let connection = taken.0 {
                if connection.isClosed {
                    preparedStatements.forget(connection)
                    continue
                }
                return connection
            }
            let future = PostgresConnection.connect(on: group.next(), configuration: configuration, id: taken.1, logger: logger)
            do {
                return try BlockingWait.result(of: future, timeout: Self.operationTimeout, operation: "connect to \(url)")
            } catch let error as SealedStoreError {
                throw error
            } catch {
                throw failure("connect to \(url)", String(reflecting: error))
            }
        }
    }

    private func checkIn(_ connection: PostgresConnection) {
        let keep = idle.withLockedValue { idle -> Bool in
            guard !idle.closed, !connection.isClosed else { return false }
            idle.connections.append(connection)
            return true
        }
        if !keep { discard(connection) }
    }

    /// Runs one statement and collects its rows.
    func query(_ connection: PostgresConnection, _ sql: String, _ bindings: PostgresBindings = PostgresBindings(),
               operation: String) throws -> PostgresQueryResult {
        statements.add(1, ordering: .relaxed)
        let future = connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        do {
            return try BlockingWait.result(of: future, timeout: Self.operationTimeout, operation: operation)
        } catch let error as SealedStoreError {
            if case .backend(_, _, let message) = error, message.contains("timed out") { discard(connection) }
            throw error
        } catch {
            throw failure(operation, Self.describe(error))
        }
    }

    /// Runs `sql` as a statement prepared on `connection` (prepared there on first use: parsed
    /// and planned once per connection instead of at every run) and collects its rows. A
    /// statement the database refused throws the driver's error unchanged, so the caller can
    /// tell a refusal (`sqlState(of:)`) from a lost connection.
    func answerPrepared(_ connection: PostgresConnection, _ sql: String, _ binds: [PostgresData],
                        operation: String) throws -> [PostgresRow] {
        do {
            let statement = try preparedStatements.statement(sql, on: connection, timeout: Self.operationTimeout, operation: operation)
            statements.add(1, ordering: .relaxed)
            return try BlockingWait.result(of: statement.execute(binds), timeout: Self.operationTimeout, operation: operation)
        } catch let error as SealedStoreError {
            if case .backend(_, _, let message) = error, message.contains("timed out") { discard(connection) }
            throw error
        }
    }

    /// `answerPrepared`, with any error as a `backend` error naming `operation`.
    func queryPrepared(_ connection: PostgresConnection, _ sql: String, _ binds: [PostgresData],
                       operation: String) throws -> [PostgresRow] {
        do {
            return try answerPrepared(connection, sql, binds, operation: operation)
        } catch let error as SealedStoreError {
            throw error
        } catch {
            throw failure(operation, Self.describe(error))
        }
    }

    /// The SQLSTATE the database answered a statement with, or nil when `error` is not the
    /// database's answer (a lost connection, a timeout: whether the statement ran is unknown).
    static func sqlState(of error: Error) -> String? {
        if case .server(let answer)? = error as? PostgresError { return answer.fields[.sqlState] }
        return (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// Statements run since the pool was made (each one round trip to the database; preparing a
    /// statement, once per connection, is not counted).
    var statementCount: Int { statements.load(ordering: .relaxed) }

    /// Closes a connection without waiting (a broken or timed-out one is never reused).
    private func discard(_ connection: PostgresConnection) {
        preparedStatements.forget(connection)
        Self.close(connection)
    }

    private static func close(_ connection: PostgresConnection) {
        let closing: EventLoopFuture<Void> = connection.close()
        // Kept alive until closed: PostgresNIO asserts that a connection is closed when freed.
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Closes every connection and stops the pool's threads. Operations after it fail; a second
    /// call does nothing.
    func close() {
        let (connections, wasClosed) = idle.withLockedValue { idle -> ([PostgresConnection], Bool) in
            defer { idle.closed = true; idle.connections = [] }
            return (idle.connections, idle.closed)
        }
        guard !wasClosed else { return }
        for connection in connections { discard(connection) }
        // Never blocks: `close` may run wherever the last reference to the backend goes.
        group.shutdownGracefully { _ in }
    }

    deinit {
        close()
    }

    private func failure(_ operation: String, _ message: String) -> SealedStoreError {
        .backend(operation: "PostgreSQL: \(operation)", code: 0, message: message)
    }

    /// The server's message for a statement error (PSQLError hides it from `description`).
    static func describe(_ error: Error) -> String {
        if case .server(let answer)? = error as? PostgresError, let message = answer.fields[.message] {
            return message + (answer.fields[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
        }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let code = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return message + code
            }
            return "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
        }
        return String(reflecting: error)
    }
}

/// Waits for a database future on the calling thread.
enum BlockingWait {
    /// The future's value, or its error; a `backend` error after `timeout`.
    /// - Throws: without waiting when called on the future's own event loop (it could never
    ///   complete).
    static func result<T: Sendable>(of future: EventLoopFuture<T>, timeout: TimeAmount, operation: String) throws -> T {
        DatabaseWait.willWait()
        // Waiting on the loop that completes the future would never end. The pool's loops never
        // call the store; a server's event loop may (a call run inline), and then it blocks for
        // this round trip, after which the observer keeps that export off the event loops.
        guard !future.eventLoop.inEventLoop else {
            throw SealedStoreError.backend(operation: "PostgreSQL: \(operation)", code: 0,
                                           message: "the sealed store was called on the database connection's own event loop, which would never answer (a bug)")
        }
        let outcome = NIOLockedValueBox<Result<T, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        future.whenComplete { result in
            outcome.withLockedValue { $0 = result }
            done.signal()
        }
        let seconds = Int(timeout.nanoseconds / 1_000_000_000)
        guard done.wait(timeout: .now() + .seconds(seconds)) == .success else {
            throw SealedStoreError.backend(operation: "PostgreSQL: \(operation)", code: 0,
                                           message: "timed out after \(seconds) s waiting for the database")
        }
        guard let result = outcome.withLockedValue({ $0 }) else {
            throw SealedStoreError.backend(operation: "PostgreSQL: \(operation)", code: 0, message: "no result")
        }
        return try result.get()
    }
}
