import EnclaveProtocol
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The EnclaveOS listener: TLS 1.3 on `host:port`, framed JSON requests, apps in an
/// `AppRegistry`, calls on a `CallExecutor`.
///
/// Lifecycle: `start()` binds and returns the bound address; `shutdown()` (or an authorised
/// `Shutdown` request) stops accepting, closes connections and stops the threads;
/// `waitUntilClosed()` returns once that has happened.
public final class EnclaveServer: Sendable {
    /// The configuration the server was created with.
    public let configuration: ServerConfiguration
    /// The loaded apps.
    public let registry: AppRegistry
    private let identity: ServerIdentityProvider
    private let state = Locked(State())
    /// Streamed loads in progress.
    let uploads: UploadStore
    /// Request bytes held across connections.
    let requestBudget: RequestMemoryBudget
    /// Counters, gauges and timers, served at `GET /metrics`.
    public let metrics = ServerMetrics()

    private struct State {
        var group: MultiThreadedEventLoopGroup?
        var executor: CallExecutor?
        var sweeper: RepeatedTask?
        var serverChannel: Channel?
        var connections: [ObjectIdentifier: Channel] = [:]
        var phase: Phase = .idle
        var closedWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private enum Phase { case idle, running, stopping, stopped }

    /// Creates a server; nothing is bound until `start()`.
    /// - Parameters:
    ///   - configuration: address, limits, operator token.
    ///   - identity: where TLS contexts come from (the attestation seam).
    ///   - registry: the app registry (a fresh, empty one by default).
    public init(configuration: ServerConfiguration, identity: ServerIdentityProvider, registry: AppRegistry = AppRegistry()) {
        self.configuration = configuration
        self.identity = identity
        self.registry = registry
        self.uploads = UploadStore(limits: configuration.uploadLimits)
        self.requestBudget = RequestMemoryBudget(limit: configuration.maxBufferedRequestBytes)
    }

    /// Streamed loads in progress and the sum of their declared sizes.
    public var uploadUsage: (uploads: Int, declaredBytes: Int) { uploads.usage }

    /// Request bytes held now, the most held at once since start, and connections waiting.
    public var requestBudgetUsage: (used: Int, peak: Int, waiting: Int) { requestBudget.usage }

    /// Binds the listener and starts serving.
    /// - Returns: the bound address (with the real port when the configuration says 0).
    /// - Throws: `ServerError.alreadyStarted`, or the bind error (address in use, bad host).
    @discardableResult
    public func start() async throws -> SocketAddress {
        let claimed = state.withLock { state -> Bool in
            guard state.phase == .idle else { return false }
            state.phase = .running
            return true
        }
        guard claimed else { throw ServerError.alreadyStarted }
        let host = AppHost(configuration)
        // Open the sealed store and restore its apps before binding, so the first client
        // already sees them; an unusable data directory fails the start with its reason.
        do {
            let store = try ServerStoreOpener.open(configuration)
            let (ledger, crashed): (InFlightLedger?, Set<InFlightLedger.Mark>)
            do {
                (ledger, crashed) = try ServerStoreOpener.openInFlightLedger(configuration)
            } catch {
                ServerStoreOpener.close(store)  // not attached yet, so shutdown would not close it
                throw error
            }
            try registry.attach(store, ledger: ledger, crashed: crashed,
                                restoring: AppRestorer(configuration: configuration, host: host))
        } catch {
            await shutdown()
            throw error
        }
        MemoryTuning.apply()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
        let executor = CallExecutor(maxConcurrentCalls: configuration.maxConcurrentCalls)
        let dispatcher = Dispatcher(configuration: configuration, registry: registry, executor: executor, host: host,
                                    uploads: uploads, metrics: metrics)
        let sweeper = MemorySweeper(uploads: uploads, budget: requestBudget)
        let sweeperTask = group.next().scheduleRepeatedTask(initialDelay: MemorySweeper.interval, delay: MemorySweeper.interval) { _ in
            sweeper.sweep()
        }
        state.withLock {
            $0.group = group
            $0.executor = executor
            $0.sweeper = sweeperTask
        }
        let router = HTTPRouter(dispatcher: dispatcher, registry: registry, status: status(executor: executor))
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                self.initializeConnection(channel, dispatcher: dispatcher, router: router)
            }
        do {
            let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
            state.withLock { $0.serverChannel = channel }
            guard let address = channel.localAddress else { throw ServerError.noLocalAddress }
            return address
        } catch {
            await shutdown()
            throw error
        }
    }

    /// Sets up one accepted connection: the ClientHello reader (which starts TLS with the
    /// context the provider picks for that ClientHello), then framing and request handling.
    private func initializeConnection(_ channel: Channel, dispatcher: Dispatcher, router: HTTPRouter) -> EventLoopFuture<Void> {
        let accepted = state.withLock { state -> Bool in
            guard state.phase == .running else { return false }
            state.connections[ObjectIdentifier(channel)] = channel
            return true
        }
        guard accepted else { return channel.eventLoop.makeFailedFuture(ServerError.shuttingDown) }
        channel.closeFuture.whenComplete { [state] _ in
            _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
        }
        do {
            let requestShutdown: @Sendable () -> Void = { [self] in
                Task { await self.shutdown() }
            }
            // TLS is not added here: the ClientHelloReader reads SNI and the 0xFFBB challenge
            // nonce first, asks the identity provider for the matching context, and inserts
            // the NIOSSL handler itself (RA-TLS per-app and per-challenge certificates).
            let budget = requestBudget
            let stallTimeout = TimeAmount.seconds(Int64(configuration.frameStallTimeoutSeconds))
            // After TLS, the first byte decides: frames (0x00…) or HTTP/1.1 ("GET ", "POST"…).
            let sniffer = ProtocolSniffer(
                frames: { pipeline in
                    try pipeline.addHandlers(
                        FrameDecoderHandler(budget: budget, stallTimeout: stallTimeout),
                        RequestHandler(dispatcher: dispatcher, budget: budget, requestShutdown: requestShutdown))
                },
                http: { pipeline in
                    try pipeline.addHandler(HTTPResponseEncoder())
                    try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(
                        leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop,
                        limitConfiguration: Self.httpLimits)))
                    try pipeline.addHandler(HTTPConnectionHandler(router: router, budget: budget, stallTimeout: stallTimeout,
                                                                  requestShutdown: requestShutdown))
                })
            try channel.pipeline.syncOperations.addHandlers(ClientHelloReader(identity: identity), sniffer)
            return channel.eventLoop.makeSucceededVoidFuture()
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
    }

    /// The HTTP decoder's limits on request heads.
    static let httpLimits: NIOHTTPDecoderLimitConfiguration = {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = HTTPWire.maxHeaderBytes
        limits.maxHeaderListSize = HTTPWire.maxHeaderBytes
        limits.maxHeaderFieldCount = HTTPWire.maxHeaderFields
        return limits
    }()

    /// Live figures for `/metrics` and `/readyz`.
    private func status(executor: CallExecutor) -> ServerStatus {
        ServerStatus(
            openConnections: { [state] in state.withLock { $0.connections.count } },
            callsInFlight: { executor.callsInFlight },
            appsLoaded: { [registry] in registry.all().count },
            requestBudgetUsed: { [requestBudget] in requestBudget.usage.used },
            uploadsInProgress: { [uploads] in uploads.usage.uploads })
    }

    /// Stops the server gracefully: no new connections, open connections closed (responses
    /// already written stay delivered), calls already executing run to their end (fuel bounds
    /// them) before the threads stop. Safe to call more than once and concurrently.
    public func shutdown() async {
        let claim = state.withLock { state -> (Channel?, [Channel], CallExecutor?, MultiThreadedEventLoopGroup?)? in
            switch state.phase {
            case .idle:
                state.phase = .stopped
                return (nil, [], nil, nil)
            case .running:
                state.phase = .stopping
                state.sweeper?.cancel()
                state.sweeper = nil
                return (state.serverChannel, Array(state.connections.values), state.executor, state.group)
            case .stopping, .stopped:
                return nil
            }
        }
        guard let (serverChannel, connections, executor, group) = claim else {
            await waitUntilClosed()
            return
        }
        try? await serverChannel?.close()
        for connection in connections {
            try? await connection.close()
        }
        await executor?.shutdown()
        // No call runs any more: close the store so the data directory can be opened again.
        registry.detachStore()
        try? await group?.shutdownGracefully()
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.phase = .stopped
            state.serverChannel = nil
            state.group = nil
            state.executor = nil
            defer { state.closedWaiters = [] }
            return state.closedWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the server has shut down (immediately if it already has).
    public func waitUntilClosed() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.phase == .stopped { return true }
                state.closedWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Connections open right now.
    public var openConnectionCount: Int {
        state.withLock { $0.connections.count }
    }
}

/// Server lifecycle failures.
public enum ServerError: Error, CustomStringConvertible {
    /// `start()` was called twice.
    case alreadyStarted
    /// The socket has no local address (should not happen for TCP).
    case noLocalAddress
    /// A connection arrived while the server was stopping.
    case shuttingDown

    public var description: String {
        switch self {
        case .alreadyStarted: return "the server was already started; create a new EnclaveServer to start again"
        case .noLocalAddress: return "the listening socket reported no local address"
        case .shuttingDown: return "the server is shutting down"
        }
    }
}
