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
/// operations in flight fail, later ones succeed. A connection whose statement timed out is
/// discarded: closed, never handed out again, and replaced once its close completes.
final class PostgresPool: Sendable {
    /// Longest wait for a free connection, a connect, or one statement, unless the pool is made
    /// with another (`operationTimeout`).
    static let defaultOperationTimeout: TimeAmount = .seconds(30)

    /// Longest wait for a free connection, a connect, or one statement.
    let operationTimeout: TimeAmount
    /// Longest a statement of this pool's connections runs *in the database* (its
    /// `statement_timeout`, set when each connection starts) before the database cancels it:
    /// twice `operationTimeout` unless the pool is made with another. A caller that gave up
    /// waiting (`operationTimeout`) closes the connection, but PostgreSQL does not notice a
    /// closed client while a statement waits for a lock, so without this bound a statement the
    /// caller counted as failed could still commit any time later. With it, such a statement
    /// has landed or been cancelled `serverStatementTimeout` after it started.
    let serverStatementTimeout: TimeAmount

    /// Settings every connection of the pool sends in its startup message: `statement_timeout`
    /// (`serverStatementTimeout`) and READ COMMITTED.
    let startupSettings: [(String, String)]

    /// The settings of a connection that sends pipelines of up to `statements` statements (the
    /// commit's own, `PostgresCommitConnection`): PostgreSQL starts each statement of a pipeline
    /// with a fresh `statement_timeout`, so each gets its share, and the pipeline as a whole has
    /// landed or been cancelled `serverStatementTimeout` after it started, as one statement has.
    func startupSettings(pipelining statements: Int) -> [(String, String)] {
        Self.startupSettings(statementTimeout: .nanoseconds(serverStatementTimeout.nanoseconds / Int64(max(1, statements))))
    }

    private static func startupSettings(statementTimeout: TimeAmount) -> [(String, String)] {
        // READ COMMITTED: the read leases' ordering needs its fresh snapshot per statement
        // (`PostgresReadLeaseSQL.functions`, `PostgresWriteStatement.Revocation`), whatever the
        // server's, database's or role's default isolation.
        [("statement_timeout", "\(max(1, statementTimeout.nanoseconds / 1_000_000))"),
         ("default_transaction_isolation", "read committed")]
    }

    private let url: PostgresURL
    private let group: MultiThreadedEventLoopGroup
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let state = NIOLockedValueBox<State>(State())
    /// `url.poolSize` slots. A caller takes one before it checks out a connection; it is freed
    /// when the connection is checked in or, for a connection closed instead, once its close
    /// completes. A connection is opened only when none is idle, so connections (connecting,
    /// checked out, idle or closing) never outnumber `url.poolSize`.
    private let slots: DispatchSemaphore
    private let statements = Atomic<Int>(0)
    private let preparedStatements = PostgresPreparedStatements()

    private struct State {
        var idle: [PostgresConnection] = []
        /// Checked-out connections an operation gave up on (`discard`): they are closing and are
        /// never checked in again, whatever `isClosed` says before their close completes.
        var discarded: Set<PostgresConnection.ID> = []
        /// Connections connecting, checked out, idle or closing.
        var open = 0
        var nextID = 1
        var closed = false
    }

    init(url: PostgresURL, operationTimeout: TimeAmount = PostgresPool.defaultOperationTimeout,
         serverStatementTimeout: TimeAmount? = nil) throws {
        self.url = url
        self.operationTimeout = operationTimeout
        let serverTimeout = serverStatementTimeout ?? .nanoseconds(2 * operationTimeout.nanoseconds)
        self.serverStatementTimeout = serverTimeout
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
        // Run-time settings sent in the startup message: PostgreSQL applies them to the session,
        // over any default of the server, database or role.
        startupSettings = Self.startupSettings(statementTimeout: serverTimeout)
        configuration.options.additionalStartupParameters = startupSettings
        self.configuration = configuration
        // Two threads: enough to keep a pool of connections busy; the work is the database's.
        group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        slots = DispatchSemaphore(value: url.poolSize)
    }

    /// Runs `body` with a connection of the pool, waiting for a free one if all are in use.
    func withConnection<T>(_ operation: String, _ body: (PostgresConnection) throws -> T) throws -> T {
        guard slots.wait(timeout: .now() + BlockingWait.interval(operationTimeout)) == .success else {
            throw failure(operation, "no database connection became free within \(BlockingWait.describe(operationTimeout))")
        }
        let connection = try checkOut(operation)
        // A statement error leaves the connection usable; a broken or discarded one is not kept.
        defer { checkIn(connection) }
        return try body(connection)
    }

    /// An idle connection, or a new one. Called holding a slot; on error the slot is freed (for
    /// a connect that timed out, once that connect ends: it may still open a connection).
    private func checkOut(_ operation: String) throws -> PostgresConnection {
        enum Taken { case idle(PostgresConnection), broken(PostgresConnection), connect(id: Int), poolClosed }
        while true {
            let taken = state.withLockedValue { state -> Taken in
                guard !state.closed else { return .poolClosed }
                if let connection = state.idle.popLast() {
                    // One that broke while idle (database restart) is closed already.
                    guard connection.isClosed else { return .idle(connection) }
                    state.open -= 1
                    return .broken(connection)
                }
                state.open += 1
                state.nextID += 1
                return .connect(id: state.nextID - 1)
            }
            switch taken {
            case .idle(let connection):
                return connection
            case .broken(let connection):
                preparedStatements.forget(connection)
            case .connect(let id):
                return try connect(id: id)
            case .poolClosed:
                slots.signal()
                throw failure(operation, "the store is closed")
            }
        }
    }

    /// Opens connection `id` (counted open already).
    private func connect(id: Int) throws -> PostgresConnection {
        let future = PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: logger)
        do {
            return try BlockingWait.result(of: future, timeout: operationTimeout, operation: "connect to \(url)")
        } catch {
            // A connect that timed out may still succeed later: that connection is closed then.
            future.whenComplete { [state, slots] result in
                switch result {
                case .success(let late):
                    self.retire(late) { slots.signal() }
                case .failure:
                    state.withLockedValue { $0.open -= 1 }
                    slots.signal()
                }
            }
            if let error = error as? SealedStoreError { throw error }
            throw failure("connect to \(url)", String(reflecting: error))
        }
    }

    /// Ends a checkout and frees its slot: a healthy connection goes back to the idle ones; a
    /// broken one is forgotten; a discarded one frees its slot when its close completes.
    private func checkIn(_ connection: PostgresConnection) {
        enum Fate { case idle, broken, discarded, poolClosed }
        let fate = state.withLockedValue { state -> Fate in
            if state.discarded.remove(connection.id) != nil { return .discarded }
            if connection.isClosed {
                state.open -= 1
                return .broken
            }
            if state.closed { return .poolClosed }
            state.idle.append(connection)
            return .idle
        }
        switch fate {
        case .idle:
            slots.signal()
        case .broken:
            preparedStatements.forget(connection)
            slots.signal()
        case .discarded:
            break
        case .poolClosed:
            retire(connection) { [slots] in slots.signal() }
        }
    }

    /// Gives up on a checked-out connection (a statement on it timed out, so the database may
    /// still be running it): it is closed and never checked in again. Its slot is freed once
    /// the close completes, so the pool then opens a replacement within its cap.
    private func discard(_ connection: PostgresConnection) {
        let first = state.withLockedValue { $0.discarded.insert(connection.id).inserted }
        guard first else { return }
        retire(connection) { [slots] in slots.signal() }
    }

    /// Closes `connection` for good; once it is closed it no longer counts as open and `then` runs.
    private func retire(_ connection: PostgresConnection, then: @escaping @Sendable () -> Void = {}) {
        preparedStatements.forget(connection)
        let closing: EventLoopFuture<Void> = connection.close()
        // Captures no `self`: `close()` retires the idle connections from `deinit` too.
        closing.whenComplete { [state] _ in
            // Kept alive until closed: PostgresNIO asserts that a connection is closed when freed.
            withExtendedLifetime(connection) {}
            state.withLockedValue { $0.open -= 1 }
            then()
        }
    }

    /// A connection of its own, outside the pool and its cap (the read leases' `LISTEN`
    /// connection, which stays open): the caller closes it.
    func dedicatedConnection(_ operation: String) throws -> PostgresConnection {
        let future = PostgresConnection.connect(on: group.next(), configuration: configuration, id: 0, logger: logger)
        do {
            return try BlockingWait.result(of: future, timeout: operationTimeout, operation: operation)
        } catch {
            // One that connects after the timeout is closed at once.
            future.whenSuccess { late in _ = late.close().always { _ in withExtendedLifetime(late) {} } }
            if let error = error as? SealedStoreError { throw error }
            throw failure(operation, String(reflecting: error))
        }
    }

    /// Connections connecting, checked out, idle or closing (at most `url.poolSize`).
    var openConnections: Int { state.withLockedValue { $0.open } }

    /// Runs one statement and collects its rows.
    func query(_ connection: PostgresConnection, _ sql: String, _ bindings: PostgresBindings = PostgresBindings(),
               operation: String) throws -> PostgresQueryResult {
        statements.add(1, ordering: .relaxed)
        let future = connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        do {
            return try BlockingWait.result(of: future, timeout: operationTimeout, operation: operation)
        } catch let error as SealedStoreError {
            if BlockingWait.isTimeout(error) { discard(connection) }
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
            let statement = try preparedStatements.statement(sql, on: connection, timeout: operationTimeout, operation: operation)
            statements.add(1, ordering: .relaxed)
            return try BlockingWait.result(of: statement.execute(binds), timeout: operationTimeout, operation: operation)
        } catch let error as SealedStoreError {
            if BlockingWait.isTimeout(error) { discard(connection) }
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
    /// Reads PostgresNIO's errors and the commit connection's (`PostgresWireError`).
    static func sqlState(of error: Error) -> String? {
        if let error = error as? PostgresWireError { return error.sqlState }
        if case .server(let answer)? = error as? PostgresError { return answer.fields[.sqlState] }
        return (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// Counts a statement sent outside the pool (the commit connection's), in `statementCount`.
    func countStatement() {
        statements.add(1, ordering: .relaxed)
    }

    /// Statements run since the pool was made (each one round trip to the database; preparing a
    /// statement, once per connection, is not counted).
    var statementCount: Int { statements.load(ordering: .relaxed) }

    /// Closes every connection and stops the pool's threads. Operations after it fail; a second
    /// call does nothing.
    func close() {
        let (connections, wasClosed) = state.withLockedValue { state -> ([PostgresConnection], Bool) in
            defer { state.closed = true; state.idle = [] }
            return (state.idle, state.closed)
        }
        guard !wasClosed else { return }
        // Checked-out connections are closed when they are checked in.
        for connection in connections { retire(connection) }
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
        if let error = error as? PostgresWireError { return error.problem }
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
        guard done.wait(timeout: .now() + interval(timeout)) == .success else {
            throw SealedStoreError.backend(operation: "PostgreSQL: \(operation)", code: 0,
                                           message: "\(timedOut) \(describe(timeout)) waiting for the database")
        }
        guard let result = outcome.withLockedValue({ $0 }) else {
            throw SealedStoreError.backend(operation: "PostgreSQL: \(operation)", code: 0, message: "no result")
        }
        return try result.get()
    }

    /// How a timeout's message begins (`isTimeout`).
    private static let timedOut = "timed out after"

    /// Whether `error` is a wait of `result(of:timeout:operation:)` that timed out: the database
    /// may still be running the statement.
    static func isTimeout(_ error: SealedStoreError) -> Bool {
        if case .backend(_, _, let message) = error { return message.hasPrefix(timedOut) }
        return false
    }

    /// `timeout` for `DispatchSemaphore.wait` (to the nanosecond: tests use fractions of a second).
    static func interval(_ timeout: TimeAmount) -> DispatchTimeInterval {
        .nanoseconds(Int(clamping: timeout.nanoseconds))
    }

    /// `timeout` for a message: "30 s", "0.5 s".
    static func describe(_ timeout: TimeAmount) -> String {
        let nanoseconds = timeout.nanoseconds
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000) s" }
        return "\(Double(nanoseconds) / 1e9) s"
    }
}
