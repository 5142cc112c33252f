import Dispatch
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The `LISTEN` connection of a node's read leases: one dedicated connection (outside the pool)
/// listening on `PostgresReadLeases.channel`, reopened every `retryInterval` while it is down.
/// `onMessage` runs on the connection's event loop for each notification; `onUp` once it listens
/// again, `onLost` as soon as it is closed or broken (the leases then stop serving anything).
final class PostgresLeaseListener: Sendable {
    static let retryInterval: DispatchTimeInterval = .seconds(1)

    private let pool: PostgresPool
    private let channel: String
    private let onMessage: @Sendable (String) -> Void
    private let onUp: @Sendable () -> Void
    private let onLost: @Sendable () -> Void
    private let queue = DispatchQueue(label: "enclave-os.postgres.read-leases")
    private let state = Mutex(State())

    private struct State {
        var connection: PostgresConnection?
        var stopped = false
    }

    init(pool: PostgresPool, channel: String, onMessage: @escaping @Sendable (String) -> Void,
         onUp: @escaping @Sendable () -> Void, onLost: @escaping @Sendable () -> Void) {
        self.pool = pool
        self.channel = channel
        self.onMessage = onMessage
        self.onUp = onUp
        self.onLost = onLost
    }

    /// Connects once now (errors are retried in the background), then keeps the connection up.
    func start() {
        queue.sync { connectIfDown() }
        scheduleCheck()
    }

    private func scheduleCheck() {
        queue.asyncAfter(deadline: .now() + Self.retryInterval) { [weak self] in
            guard let self, !self.state.withLock({ $0.stopped }) else { return }
            self.connectIfDown()
            self.scheduleCheck()
        }
    }

    /// Opens and subscribes a connection unless one is up. Runs on `queue`.
    private func connectIfDown() {
        guard state.withLock({ !$0.stopped && $0.connection == nil }) else { return }
        guard let connection = try? pool.dedicatedConnection("listen for read lease revocations") else { return }
        let onMessage = self.onMessage
        connection.addListener(channel: channel) { _, notification in onMessage(notification.payload) }
        let listening = connection.query(PostgresQuery(unsafeSQL: "LISTEN \(channel)"), logger: PostgresLeaseListener.logger)
        do {
            _ = try BlockingWait.result(of: listening, timeout: pool.operationTimeout, operation: "listen for read lease revocations")
        } catch {
            _ = connection.close().always { _ in withExtendedLifetime(connection) {} }
            return
        }
        let kept = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.connection = connection
            return true
        }
        guard kept else {
            _ = connection.close().always { _ in withExtendedLifetime(connection) {} }
            return
        }
        connection.closeFuture.whenComplete { [weak self] _ in
            withExtendedLifetime(connection) {}
            guard let self else { return }
            // Lost first, then a new connection may be opened (whose `onUp` must come after).
            self.onLost()
            self.state.withLock { if $0.connection === connection { $0.connection = nil } }
        }
        // Up only if it did not close in between (its close handler then ran `onLost` already).
        if !connection.isClosed { onUp() }
    }

    /// Runs `sql` on the listening connection without waiting (from its notification handler:
    /// that runs on the connection's event loop, which must never block). Errors are dropped:
    /// what is sent here only speeds writers up; they fall back on polling.
    func send(_ sql: String, _ bindings: PostgresBindings) {
        guard let connection = state.withLock({ $0.connection }) else { return }
        _ = connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: Self.logger)
    }

    /// Closes the connection as if it broke (tests: a node whose listener is lost).
    func dropConnection() {
        guard let connection = state.withLock({ $0.connection }) else { return }
        let _: EventLoopFuture<Void> = connection.close()
    }

    /// Closes the connection for good.
    func stop() {
        let connection = state.withLock { state -> PostgresConnection? in
            state.stopped = true
            defer { state.connection = nil }
            return state.connection
        }
        queue.sync {}
        if let connection { let _: EventLoopFuture<Void> = connection.close() }
    }

    deinit {
        // An open connection is never left behind (PostgresNIO expects it closed when freed).
        if let connection = state.withLock({ $0.connection }) { let _: EventLoopFuture<Void> = connection.close() }
    }

    private static let logger: Logger = {
        var logger = Logger(label: "enclaveos.postgres.leases")
        logger.logLevel = .error
        return logger
    }()
}
