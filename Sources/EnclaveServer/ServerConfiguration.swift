import Components
import Egress
import Foundation
import Logging

/// Everything an `EnclaveServer` needs to know before it starts listening.
///
/// A plain value: build one from the command line (or in a test), hand it to `EnclaveServer`.
public struct ServerConfiguration: Sendable {
    /// Address to bind; `127.0.0.1` keeps the server local unless the operator asks otherwise.
    public var host: String
    /// TCP port; `0` lets the kernel pick one (tests), read it back from `EnclaveServer.start()`.
    public var port: Int
    /// One operator's secret, a shorthand for `operators` (named `operator` in the log): with
    /// it, loads, replaces, unloads and `Shutdown` need it. Kept as given, hashed when the server
    /// starts; `nil` and no `operators`: management is open (see `insecureOpenManagement`) and
    /// nobody may shut the server down over the wire.
    public var operatorToken: String?
    /// Operators (names and hashed tokens) allowed to load, replace, unload and shut down; see
    /// `ManagementAuthorization`. Together with `operatorToken`.
    public var operators = OperatorCredentials()
    /// Serve open management (no operators) on an address other than loopback. Off: such a
    /// server refuses to start, because anyone who reaches it could replace or unload any app.
    public var insecureOpenManagement = false
    /// Apps, app storage, connections and connection deadlines.
    public var resourceLimits = ResourceLimits()
    /// Fuel per call when the app did not set its own `max_fuel` at load.
    public var defaultFuel: UInt64
    /// Cap on the sum of an instance's linear memories, in bytes.
    public var maxMemoryBytes: Int
    /// True: every call of every app instantiates the component afresh, so start functions and
    /// constructors run before each call (an app may also ask for this at load with
    /// `fresh_instances`). False (default): calls may run in an instance reset to its
    /// post-instantiation snapshot; docs/instantiation.md says what an app can observe.
    public var freshInstances = false
    /// How many calls may execute at once across all connections; further calls wait their turn.
    public var maxConcurrentCalls: Int
    /// How many of those one app may hold at once; nil: a quarter of them, at least one
    /// (`CallSchedulingLimits`). Waiting calls are served round-robin between apps.
    public var maxCallsPerApp: Int? = nil
    /// Calls that may wait in an HTTPS request without holding an execution slot, across all
    /// apps and per app; a call over these keeps its slot while it waits.
    public var maxBlockedCalls = 64
    public var maxBlockedCallsPerApp = 16
    /// Calls of an export whose recent calls each took at most this long run on the event loop
    /// that received them, saving two thread hand-offs each; zero: every call on a call thread.
    /// See `CallSchedulingLimits.inlineCallLimit`.
    public var inlineCallLimit: Duration = CallSchedulingLimits.defaultInlineCallLimit
    /// Wall-clock limit of one call (instantiation, guest code and host calls such as HTTPS);
    /// nil: none. A call past it fails with `call failed: time limit (N s)`.
    public var callTimeLimit: Duration? = .seconds(30)
    /// The largest `max_fuel` an app may ask for at load; larger requests are refused, and an
    /// app stored with a larger one (an earlier, higher cap) runs with this much.
    public var maxFuelCap: UInt64 = 1_000_000_000
    /// How long a graceful shutdown lets requests already received run and be answered before
    /// it stops the calls still running and closes the connections.
    public var shutdownGracePeriod: Duration = .seconds(30)
    /// Number of event-loop threads for network I/O (calls never run on them).
    public var eventLoopThreads: Int
    /// Where loaded apps and their sealed data are kept (created 0700 if missing), so they survive
    /// a restart (docs/sdk.md, sealed store). `nil` keeps everything in memory, for tests and embedding; the
    /// `enclave-os` command always passes one (`--data-dir`, default `./enclave-data`).
    public var dataDirectory: String? = nil
    /// Run as a node of a cluster over a shared PostgreSQL store (`--store postgres://…`);
    /// `dataDirectory` then keeps only this node's own files (docs/cluster.md). `nil`: one
    /// server over its own SQLite file.
    public var cluster: ClusterConfiguration? = nil
    /// The HTTPS client behind apps' `privasys:enclave-os/https` imports (wit/ and docs/sdk.md), shared by
    /// every app. `nil`: apps importing it still load, and every fetch answers that egress is
    /// unavailable. The server does not shut it down: whoever created it does, after the server.
    public var egress: HTTPSEgress? = nil
    /// Streamed loads: the largest component (any load), uploads in progress, their bytes, and
    /// how long an idle upload is kept.
    public var uploadLimits = UploadLimits()
    /// The server-wide cap on request bytes held in memory across all connections (frames larger
    /// than 64 KiB reserve their length before their body is read; a connection over the cap
    /// waits its turn with its bytes left in the kernel). Upload buffers are capped separately
    /// (`uploadLimits.maxUploadBytes`).
    public var maxBufferedRequestBytes = 128 << 20
    /// A frame body that holds budget and receives nothing for this long ends its connection.
    public var frameStallTimeoutSeconds = 30
    /// The largest inner response document a call may produce (its JSON, before framing).
    public var maxResultBytes = 64 << 20
    /// The host memory a call's results may take as typed JSON before they are written (an
    /// estimate made before building them; see docs/protocol.md).
    public var maxResultMemoryBytes = 512 << 20
    /// Also serve `GET /metrics` over plain HTTP here (nil: only on the TLS listener's HTTP
    /// route). Plain text to anyone who reaches it: keep it on loopback (`enclave-os` refuses
    /// another address unless told otherwise).
    public var metricsListen: MetricsEndpoint? = nil
    /// Where the server logs: start-up messages (where the store is, whether the sealing key is
    /// SIMULATED, which apps were restored), one line per load, replace, unload and call outcome,
    /// refused connections. Text lines at `info` on standard error by default; `enclave-os`
    /// sets the level and format from `--log-level` and `--log-format`.
    public var logger: Logger = ForwardingLogHandler.standardError()

    /// Plain operator messages, written through `logger` at `info` (the level the start-up
    /// messages use). Setting it replaces `logger` with a text logger at `info` that hands each
    /// line to the closure: a convenience for tests and embedders that collect lines.
    public var log: @Sendable (String) -> Void {
        get {
            let logger = self.logger
            return { message in logger.info("\(message)") }
        }
        set {
            logger = ForwardingLogHandler.logger(label: logger.label, sink: newValue)
        }
    }

    /// An operator warning (something is unsafe or not served), through `logger` at `warning`, so
    /// `--log-level warning` still shows it and JSON lines carry the level.
    public func logWarning(_ message: String) {
        logger.warning("\(message)")
    }

    /// An operator error (something the operator must act on), through `logger` at `error`.
    public func logError(_ message: String) {
        logger.error("\(message)")
    }

    /// Creates a configuration; every default matches docs/protocol.md §1–2 and §5.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8443,
        operatorToken: String? = nil,
        defaultFuel: UInt64 = ExecutionLimits.default.fuel,
        maxMemoryBytes: Int = ExecutionLimits.default.maxMemoryBytes,
        maxConcurrentCalls: Int = 8,
        eventLoopThreads: Int = 1
    ) {
        self.host = host
        self.port = port
        self.operatorToken = operatorToken
        self.defaultFuel = defaultFuel
        self.maxMemoryBytes = maxMemoryBytes
        self.maxConcurrentCalls = maxConcurrentCalls
        self.eventLoopThreads = eventLoopThreads
    }
}

extension ServerConfiguration {
    /// How calls share the execution slots, from the options above.
    public var callSchedulingLimits: CallSchedulingLimits {
        CallSchedulingLimits(slots: maxConcurrentCalls, slotsPerApp: maxCallsPerApp, maxBlocked: maxBlockedCalls,
                             maxBlockedPerApp: maxBlockedCallsPerApp, inlineCallLimit: inlineCallLimit)
    }
}
