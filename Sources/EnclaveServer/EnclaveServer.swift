import EnclaveProtocol
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The EnclaveOS listener: TLS 1.3 on `host:port`, framed JSON requests, apps in an
/// `AppRegistry`, calls on a `CallExecutor`.
///
/// Lifecycle: `start()` binds and returns the bound address; `shutdown()` (or an authorised
/// `Shutdown` request) stops accepting, lets the requests already received be answered within
/// the grace period, then stops what still runs and the threads; `waitUntilClosed()` returns
/// once that has happened. The server is also a service-lifecycle `Service` (`run()`), which
/// shuts down gracefully when its group does (see `EnclaveServer+Service.swift`).
public final class EnclaveServer: Sendable {
    /// The configuration the server was created with.
    public let configuration: ServerConfiguration
    /// The loaded apps.
    public let registry: AppRegistry
    /// Where the server logs (lifecycle, loads, calls, connections): `configuration.logger`, or
    /// the logger given to `init`.
    public let logger: Logger
    private let identity: ServerIdentityProvider
    let state = Locked(State())
    /// Streamed loads in progress.
    let uploads: UploadStore
    /// Request bytes held across connections.
    let requestBudget: RequestMemoryBudget
    /// Counters, gauges and timers, served at `GET /metrics`.
    public let metrics = ServerMetrics()

    struct State {
        var group: MultiThreadedEventLoopGroup?
        var executor: CallExecutor?
        var sweeper: RepeatedTask?
        var serverChannel: Channel?
        /// The plain-HTTP `/metrics` listener (`metricsListen`), if any.
        var metricsChannel: Channel?
        var connections: [ObjectIdentifier: Channel] = [:]
        /// The number of the last connection admitted (the `connection` of log lines).
        var lastConnectionID: UInt64 = 0
        /// Connections refused at the connection limit since it was last logged, and when.
        var refusedConnections = 0
        var refusalLogged: NIODeadline?
        var phase: Phase = .idle
        /// While draining: when the grace period ends (a second, shorter shutdown moves it).
        var drainDeadline: ContinuousClock.Instant?
        var closedWaiters: [CheckedContinuation<Void, Never>] = []
        var cluster: ClusterNode?
    }

    enum Phase { case idle, running, draining, stopping, stopped }

    /// Creates a server; nothing is bound until `start()`.
    /// - Parameters:
    ///   - configuration: address, limits, operator token.
    ///   - identity: where TLS contexts come from (the attestation seam).
    ///   - registry: the app registry (a fresh, empty one by default).
    ///   - logger: where the server logs, replacing `configuration.logger`; nil: that one.
    public init(configuration: ServerConfiguration, identity: ServerIdentityProvider, registry: AppRegistry = AppRegistry(),
                logger: Logger? = nil) {
        var configuration = configuration
        if let logger { configuration.logger = logger }
        self.configuration = configuration
        self.identity = identity
        self.registry = registry
        self.logger = configuration.logger
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
        let authorization: ManagementAuthorization
        do {
            authorization = try ManagementExposure.authorization(for: configuration)
        } catch {
            await shutdown()
            throw error
        }
        let runtime = AppRuntime(configuration, metrics: metrics)
        // Open the sealed store and restore its apps before binding, so the first client
        // already sees them; an unusable data directory fails the start with its reason.
        do {
            var cluster: ClusterNode?
            if let clusterConfiguration = configuration.cluster {
                cluster = try await ClusterNode.open(configuration, clusterConfiguration)
            }
            state.withLock { [cluster] in $0.cluster = cluster }
            let store = try cluster?.store ?? ServerStoreOpener.open(configuration)
            let (ledger, crashed): (InFlightLedger?, Set<InFlightLedger.Mark>)
            let versions: [[UInt8]: Int64]
            do {
                (ledger, crashed) = try ServerStoreOpener.openInFlightLedger(configuration)
                versions = try cluster?.versionSnapshot() ?? [:]
            } catch {
                ServerStoreOpener.close(store)  // not attached yet, so shutdown would not close it
                throw error
            }
            let restorer = AppRestorer(configuration: configuration, runtime: runtime)
            try registry.attach(store, ledger: ledger, crashed: crashed, restoring: restorer)
            try await cluster?.startServices(registry: registry, restorer: restorer, versions: versions)
        } catch {
            await shutdown()
            throw error
        }
        MemoryTuning.apply()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
        let executor = CallExecutor(callLimits: configuration.callSchedulingLimits)
        let dispatcher = Dispatcher(configuration: configuration, registry: registry, executor: executor, runtime: runtime,
                                    uploads: uploads, authorization: authorization, metrics: metrics)
        let sweeper = MemorySweeper(uploads: uploads, budget: requestBudget)
        let sweeperTask = group.next().scheduleRepeatedTask(initialDelay: MemorySweeper.interval, delay: MemorySweeper.interval) { _ in
            sweeper.sweep()
        }
        state.withLock {
            $0.group = group
            $0.executor = executor
            $0.sweeper = sweeperTask
        }
        let status = status(executor: executor)
        let router = HTTPRouter(dispatcher: dispatcher, registry: registry, status: status)
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
            if let endpoint = configuration.metricsListen {
                let metrics = self.metrics
                let scrape = try await MetricsListener.bind(endpoint, group: group, metrics: metrics) { status.refresh(metrics) }
                state.withLock { $0.metricsChannel = scrape }
                let shown = scrape.localAddress.map { ConnectionLog.describe($0) } ?? endpoint.description
                logger.info("metrics: GET /metrics over plain HTTP on \(shown) (no TLS, no attestation)")
            }
            return address
        } catch {
            await shutdown()
            throw error
        }
    }

    /// Sets up one accepted connection: the ClientHello reader (which starts TLS with the
    /// context the provider picks for that ClientHello), then framing and request handling.
    private func initializeConnection(_ channel: Channel, dispatcher: Dispatcher, router: HTTPRouter) -> EventLoopFuture<Void> {
        let limits = configuration.resourceLimits
        let admission = state.withLock { state -> ConnectionAdmission in
            guard state.phase == .running else { return .shuttingDown }
            guard state.connections.count < limits.maxConnections else { return Self.refuseConnection(&state) }
            state.connections[ObjectIdentifier(channel)] = channel
            state.lastConnectionID += 1
            return .admitted(state.lastConnectionID)
        }
        let connectionID: UInt64
        switch admission {
        case .admitted(let id): connectionID = id
        case .shuttingDown: return channel.eventLoop.makeFailedFuture(ServerError.shuttingDown)
        case .overLimit(let report):
            if let report {
                configuration.log("connection limit: \(limits.maxConnections) connections are open (--max-connections); "
                    + "closed \(report) new connection(s) at once since the last report")
            }
            return channel.eventLoop.makeFailedFuture(ServerError.connectionLimit(limits.maxConnections))
        }
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
                        RequestHandler(dispatcher: dispatcher, budget: budget, connectionID: connectionID,
                                       requestShutdown: requestShutdown))
                },
                http: { pipeline in
                    // Responses are serialized by the connection handler itself (`HTTPResponseWire`).
                    try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(
                        leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop,
                        limitConfiguration: Self.httpLimits)))
                    try pipeline.addHandler(HTTPConnectionHandler(router: router, budget: budget, stallTimeout: stallTimeout,
                                                                  connectionID: connectionID, requestShutdown: requestShutdown))
                })
            let connectionLog = ConnectionLog(logger: configuration.logger, connection: connectionID, peer: channel.remoteAddress)
            try channel.pipeline.syncOperations.addHandlers(
                ClientHelloReader(identity: identity, onError: { connectionLog.refusedBeforeTLS($0) }),
                ConnectionDeadlines(handshakeTimeout: .seconds(Int64(limits.handshakeTimeoutSeconds)),
                                    idleTimeout: .seconds(Int64(limits.idleTimeoutSeconds))),
                connectionLog,
                sniffer
            )
            return channel.eventLoop.makeSucceededVoidFuture()
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
    }

    private enum ConnectionAdmission {
        /// Admitted as connection number N.
        case admitted(UInt64)
        case shuttingDown
        /// Refused at the limit; the count to log now, if it is time to log.
        case overLimit(report: Int?)
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
            callUsage: { executor.callUsage },
            appsLoaded: { [registry] in registry.all().count },
            requestBudgetUsed: { [requestBudget] in requestBudget.usage.used },
            uploadsInProgress: { [uploads] in uploads.usage.uploads })
    }

    /// How often refusals at the connection limit are logged: one line per interval, with a
    /// count, so a flood of connections cannot flood the log too.
    static let refusalLogInterval = TimeAmount.seconds(10)

    private static func refuseConnection(_ state: inout State) -> ConnectionAdmission {
        state.refusedConnections += 1
        let now = NIODeadline.now()
        if let last = state.refusalLogged, now - last < refusalLogInterval { return .overLimit(report: nil) }
        defer {
            state.refusalLogged = now
            state.refusedConnections = 0
        }
        return .overLimit(report: state.refusedConnections)
    }

    /// The port where this cluster node provisions joining nodes (nil when not a cluster node).
    public var clusterListenPort: Int? {
        state.withLock { $0.cluster }?.listenPort
    }

    /// Where the plain-HTTP `/metrics` listener is bound (nil: none, or not started).
    public var metricsAddress: SocketAddress? {
        state.withLock { $0.metricsChannel }?.localAddress
    }

    /// Connections open right now.
    public var openConnectionCount: Int {
        state.withLock { $0.connections.count }
    }

    /// Component calls holding an execution slot, waiting for one, and waiting in an HTTPS
    /// request without one; nil while the server is not running.
    public var callUsage: (running: Int, waiting: Int, blocked: Int)? {
        state.withLock { $0.executor?.callUsage }
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
    /// A connection arrived while `maxConnections` were open.
    case connectionLimit(Int)
    /// The configured operator credentials cannot be used; the text says why.
    case invalidOperators(String)
    /// No operators, on an address other than loopback, without `insecureOpenManagement`.
    case openManagementOffLoopback(String)

    public var description: String {
        switch self {
        case .invalidOperators(let why): return "operator credentials: \(why)"
        case .connectionLimit(let limit): return "\(limit) connections are open, the most this server accepts (--max-connections)"
        case .openManagementOffLoopback(let host):
            return "refusing to listen on \(host) without operator credentials: anyone who can reach it could load, "
                + "replace and unload apps (unloading destroys their keys and data). Give operators "
                + "(--operator-token, --operator-tokens-file, or ENCLAVE_OPERATOR_TOKEN), listen on 127.0.0.1, "
                + "or accept the risk with --insecure-open-management"
        case .alreadyStarted: return "the server was already started; create a new EnclaveServer to start again"
        case .noLocalAddress: return "the listening socket reported no local address"
        case .shuttingDown: return "the server is shutting down"
        }
    }
}
