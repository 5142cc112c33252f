import Components
import EnclaveProtocol
import Egress
import HostInterfaces
import Logging
import SealedStore

/// The one owner of running app code: what apps may import, and every call's path from a
/// checked request to its outcome.
///
/// - **prepare** (`prepare`): a checked call gets its limits — fuel, memory, result caps, time
///   limit, whether it may run on the event loop that received it (`AppCall`).
/// - **session** (`makeSession`): a fresh `WASISession` over the app's sealed store, carrying
///   the SDK's per-app facts; guest output lines tagged with the app's name.
/// - **run** (`invoke`): the export called in a fresh (or exactly reset) instance under those
///   limits, recorded in the in-flight ledger while guest code runs; the session is always
///   finished, so files the guest wrote are sealed back even when the call traps.
/// - **outcome** (`run`): results, trap, out of fuel, memory, time or result limit mapped to
///   one `AppCallOutcome`, from which the response, the metrics and the log line are made.
///
/// Loads go through it too (`load`), because a component's start functions and constructors
/// run in a session like a call's. Transports never call components directly: the
/// `Dispatcher` (frames, HTTP, MCP) and `ManagementService` prepare calls here and the
/// `CallExecutor` runs them here; `enclave-bench` calls `invoke` through
/// `LoadedApp.callAsServer`.
///
/// A class, so that each scheduled call captures one reference rather than copying the
/// imports, logger and closures; immutable, hence `Sendable`.
final class AppRuntime: Sendable {
    /// Every interface the server implements: WASI 0.2, `privasys:enclave-os/https` and the SDK's
    /// crypto, keystore, attestation and sealing. A component importing anything else fails to
    /// load with the missing interface and function named.
    let imports: HostImports
    /// Where guests' stdout/stderr lines go, tagged with the app's name.
    let guestOutput: @Sendable (String) -> Void
    /// The host memory one call's results may take as typed JSON (see `ResultFootprint`).
    let resultMemoryLimit: Int
    /// Where calls are counted and timed (nil: nowhere).
    let metrics: ServerMetrics?
    /// Where each call's outcome is logged (nil: nowhere).
    let logger: Logger?

    /// A runtime whose apps reach the web through `egress` (nil: every fetch answers that
    /// egress is unavailable); `egressLog` counts and logs their requests.
    init(egress: HTTPSEgress?, egressLog: EgressLog? = nil, guestOutput: @escaping @Sendable (String) -> Void = { _ in },
         resultMemoryLimit: Int = .max, metrics: ServerMetrics? = nil, logger: Logger? = nil) {
        var imports = WASIHost.imports
        HTTPSFetchInterface.register(into: &imports, egress: egress, whileWaiting: { wait in
            let outcome = CallScheduler.whileBlocked(wait)
            egressLog?.outcome(outcome)
            return outcome
        })
        EnclaveSDK.register(into: &imports)
        self.imports = imports
        self.guestOutput = guestOutput
        self.resultMemoryLimit = resultMemoryLimit
        self.metrics = metrics
        self.logger = logger
    }

    /// The runtime of a server with `configuration`; with `metrics`, calls and apps' HTTPS
    /// requests are counted there, and their outcomes logged to the configuration's logger.
    convenience init(_ configuration: ServerConfiguration, metrics: ServerMetrics? = nil) {
        self.init(egress: configuration.egress,
                  egressLog: metrics.map { EgressLog(logger: configuration.logger, metrics: $0) },
                  guestOutput: configuration.log, resultMemoryLimit: configuration.maxResultMemoryBytes,
                  metrics: metrics, logger: configuration.logger)
    }

    /// A runtime without egress, metrics, logs or guest output: what `enclave-bench` and tools
    /// load and call through when they have no server. Built once (the imports are not free).
    static let standalone = AppRuntime(egress: nil)

    // MARK: - Prepare

    /// `function` of `app` called with `arguments` (already typed against its signature), with
    /// the limits it runs under. `origin` goes into its log line.
    func prepare(_ app: LoadedApp, _ function: ExportedFunction, _ arguments: [ComponentValue],
                 origin: RequestOrigin = .none) -> AppCall {
        AppCall(app: app, function: function, arguments: arguments,
                limits: CallLimits(app.limits, resultMemoryBytes: resultMemoryLimit), origin: origin)
    }

    // MARK: - Session

    /// A fresh session for one call (or one trial instantiation) of `app`: empty resource
    /// tables and keystore over the app's sealed store `kv`; each stdout/stderr line goes to
    /// `output`, prefixed with the app's name and `context`.
    static func makeSession(app name: String, kv: SealedKV?, sdk: EnclaveApp?, context: String = "",
                            output: @escaping @Sendable (String) -> Void) -> WASISession {
        let shown = LogText.field(name)
        return WASISession(kv: kv, app: sdk) { channel, line in
            // The line's length is already capped by the session; its bytes are the guest's.
            output("app \(shown) \(channel)\(context): \(LogText.field(line, maxBytes: .max))")
        }
    }

    // MARK: - Run

    /// Calls `call` in a fresh instance with a fresh session (see the type's documentation),
    /// sending guest output to `output`. `control` (nil: one made from the call's time limit)
    /// bounds it in time and lets the server stop it.
    /// - Throws: `ComponentError` (trap, out of fuel, a limit) or the session's write-back error.
    func invoke(_ call: AppCall, control: CallControl? = nil,
                output: @escaping @Sendable (String) -> Void) throws -> [ComponentValue] {
        let app = call.app
        let session = Self.makeSession(app: app.name, kv: app.kv, sdk: app.sdk, output: output)
        let results: [ComponentValue]
        do {
            results = try app.ledger.running(app.inFlightMark) {
                try app.component.call(call.function.name, call.arguments, limits: call.limits.execution,
                                       session: session, control: control)
            }
        } catch {
            try? session.finish()
            throw error
        }
        try session.finish()
        return results
    }

    /// Runs `call` (blocking) and answers it: results as typed JSON, or `call failed: <reason>`.
    /// The call is counted in the metrics and its outcome logged. Never throws.
    func run(_ call: AppCall, control: CallControl? = nil) -> ManagementResponse {
        let started = ContinuousClock.now
        let outcome = outcome(of: call, control: control)
        let response = outcome.response(for: call.function)
        let elapsed = ContinuousClock.now - started
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        let failure = outcome.failure
        let fuel = CallOutcome.fuelUsed(limit: call.limits.fuel, left: control?.fuelLeft, failure: failure)
        metrics?.call(app: call.app.name, nanoseconds: nanoseconds, error: failure, fuel: fuel)
        if let logger {
            CallOutcome(app: call.app.name, function: call.function.name, origin: call.origin, nanoseconds: nanoseconds,
                        fuel: fuel, failure: failure).log(response, to: logger)
        }
        return response
    }

    /// How `call` ends: its results, or the kind of failure (by the error's type) and its text.
    func outcome(of call: AppCall, control: CallControl?) -> AppCallOutcome {
        do {
            let results = try invoke(call, control: control, output: guestOutput)
            if let refusal = ResultFootprint.refusal(results, limit: call.limits.resultMemoryBytes) {
                return .failed(.resultLimit, message: refusal)
            }
            return .returned(results)
        } catch let error as ComponentError {
            return .failed(CallErrorKind(error), message: "call failed: \(error.description)")
        } catch {
            return .failed(.host, message: "call failed: \(error)")
        }
    }
}
