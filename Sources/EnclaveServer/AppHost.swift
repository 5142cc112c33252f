import Components
import Egress
import HostInterfaces
import SealedStore

/// What the server offers apps (wit/ and docs/sdk.md) and the per-call state behind it: the one place that
/// decides which imports a component may use and how each call gets a fresh WASI session.
struct AppHost: Sendable {
    /// Every interface the server implements: WASI 0.2, `privasys:enclave-os/https` and the SDK's
    /// crypto, keystore, attestation and sealing. A component importing anything else fails to
    /// load with the missing interface and function named.
    let imports: HostImports

    /// The host of a server whose apps reach the web through `egress` (nil: every fetch
    /// answers that egress is unavailable); `egressLog` counts and logs their requests.
    init(egress: HTTPSEgress?, egressLog: EgressLog? = nil) {
        var imports = WASIHost.imports
        HTTPSFetchInterface.register(into: &imports, egress: egress, whileWaiting: { wait in
            let outcome = CallScheduler.whileBlocked(wait)
            egressLog?.outcome(outcome)
            return outcome
        })
        EnclaveSDK.register(into: &imports)
        self.imports = imports
    }

    /// The host a server with `configuration` offers; with `metrics`, apps' HTTPS requests
    /// are counted there and their failures logged.
    init(_ configuration: ServerConfiguration, metrics: ServerMetrics? = nil) {
        self.init(egress: configuration.egress,
                  egressLog: metrics.map { EgressLog(logger: configuration.logger, metrics: $0) })
    }

    /// Parses and validates `bytes` against the server's imports, with no app behind it: a
    /// start function or constructor that reaches WASI traps (tests and tools).
    func load(_ bytes: [UInt8]) throws -> Component {
        try Component.load(bytes, imports: imports)
    }

    /// Parses and validates app `name`'s component. Its trial instantiation runs the start
    /// functions and constructors like a call's instantiation: under `options.trialLimits`, with
    /// a WASI session over the app's store `kv`. What they write is kept (the session is
    /// finished, as after a call); docs/instantiation.md.
    func load(_ bytes: [UInt8], app name: String, kv: SealedKV?, sdk: EnclaveApp?, options: LoadOptions,
              log: @escaping @Sendable (String) -> Void) throws -> Component {
        let shown = LogText.field(name)
        let session = WASISession(kv: kv, app: sdk) { channel, line in
            log("app \(shown) \(channel) (instantiation at load): \(LogText.field(line, maxBytes: .max))")
        }
        let component: Component
        do {
            component = try Component.load(bytes, imports: imports, options: options, trialSession: session)
        } catch {
            try? session.finish()
            throw error
        }
        do {
            try session.finish()
        } catch {
            throw AppLoadError.trialWriteBack("\(error)")
        }
        return component
    }

    /// Calls `function` of `app` in a fresh instance with a fresh WASI session over the app's
    /// sealed store. The session is always finished, so files the guest wrote are sealed back
    /// even when the call traps (what it wrote before the trap was written). While guest code
    /// runs, the app's in-flight ledger records it, so that a crash of the server in it
    /// quarantines the app on the next start instead of crashing again.
    /// `control` (nil: one made from `app.limits.timeLimit`) bounds the call in time.
    static func call(_ app: LoadedApp, _ function: ExportedFunction, _ arguments: [ComponentValue],
                     control: CallControl? = nil, log: @escaping @Sendable (String) -> Void) throws -> [ComponentValue] {
        let name = app.name
        let session = WASISession(kv: app.kv, app: app.sdk) { channel, line in
            // The line's length is already capped by the session; its bytes are the guest's.
            log("app \(LogText.field(name)) \(channel): \(LogText.field(line, maxBytes: .max))")
        }
        let results: [ComponentValue]
        do {
            results = try app.ledger.running(app.inFlightMark) {
                try app.component.call(function.name, arguments, limits: app.limits, session: session, control: control)
            }
        } catch {
            try? session.finish()
            throw error
        }
        try session.finish()
        return results
    }
}

/// A load that failed after the component itself was accepted.
enum AppLoadError: Error, CustomStringConvertible {
    /// The files written by constructors during the trial instantiation could not be sealed.
    case trialWriteBack(String)

    var description: String {
        switch self {
        case .trialWriteBack(let why): return "the instantiation at load could not write the app's files back: \(why)"
        }
    }
}
