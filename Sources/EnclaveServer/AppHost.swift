import Components
import Egress
import HostInterfaces

/// What the server offers apps (SPEC §6) and the per-call state behind it: the one place that
/// decides which imports a component may use and how each call gets a fresh WASI session.
struct AppHost: Sendable {
    /// Every interface the server implements: WASI 0.2 and `privasys:enclave-os/https`. A
    /// component importing anything else fails to load with the missing interface named.
    let imports: HostImports

    /// The host of a server whose apps reach the web through `egress` (nil: every fetch
    /// answers that egress is unavailable).
    init(egress: HTTPSEgress?) {
        var imports = WASIHost.imports
        HTTPSFetchInterface.register(into: &imports, egress: egress)
        self.imports = imports
    }

    /// The host a server with `configuration` offers.
    init(_ configuration: ServerConfiguration) {
        self.init(egress: configuration.egress)
    }

    /// Parses and validates `bytes` against the server's imports.
    func load(_ bytes: [UInt8]) throws -> Component {
        try Component.load(bytes, imports: imports)
    }

    /// Calls `function` of `app` in a fresh instance with a fresh WASI session over the app's
    /// sealed store. The session is always finished, so files the guest wrote are sealed back
    /// even when the call traps (what it wrote before the trap was written). While guest code
    /// runs, the app's in-flight ledger records it, so that a crash of the server in it
    /// quarantines the app on the next start instead of crashing again.
    static func call(_ app: LoadedApp, _ function: ExportedFunction, _ arguments: [ComponentValue],
                     log: @escaping @Sendable (String) -> Void) throws -> [ComponentValue] {
        let name = app.name
        let session = WASISession(kv: app.kv) { channel, line in log("app \(name) \(channel): \(line)") }
        let results: [ComponentValue]
        do {
            results = try app.ledger.running(app.inFlightMark) {
                try app.component.call(function.name, arguments, limits: app.limits, session: session)
            }
        } catch {
            try? session.finish()
            throw error
        }
        try session.finish()
        return results
    }
}
