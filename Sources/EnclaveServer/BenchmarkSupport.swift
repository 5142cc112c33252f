import Components
import EnclaveProtocol

/// Entry points for `enclave-bench` (README, Performance), so that it measures the server's own
/// code paths instead of a copy of them. Not part of the supported API: `@_spi(Benchmark)`.
extension LoadedApp {
    /// Calls `function` exactly as a `wasm_call` does once its arguments are typed: prepared and
    /// invoked by `AppRuntime` (the app's limits, a fresh instance with a fresh WASI session over
    /// this app's sealed store), with no network, JSON, thread hop, metrics or log line around
    /// it. Guest output lines go to `log`.
    /// - Throws: `ComponentError` (e.g. `out of fuel`) or the export is missing.
    @_spi(Benchmark)
    public func callAsServer(_ function: String, _ arguments: [ComponentValue],
                             log: @escaping @Sendable (String) -> Void = { _ in }) throws -> [ComponentValue] {
        guard let export = export(named: function) else { throw ComponentError.noSuchExport(function) }
        let runtime = AppRuntime.standalone
        return try runtime.invoke(runtime.prepare(self, export, arguments), output: log)
    }
}

extension EnclaveServer {
    /// Parses and validates `bytes` against the imports a server without egress offers
    /// (`Component.load` alone, as a `wasm_load` runs it).
    @_spi(Benchmark)
    public static func parseComponent(_ bytes: [UInt8]) throws -> Component {
        try AppRuntime.standalone.load(bytes)
    }

    /// Loads `bytes` as app `name` exactly as a `wasm_load` does once its frame is decoded
    /// (parse, link, validate, seal and commit the record, register), without the transport:
    /// for components larger than a frame, and to time the load path alone. The server must be
    /// started (its sealed store attached).
    /// - Throws: `BenchmarkLoadError` with the server's refusal text.
    @_spi(Benchmark)
    public func loadAsServer(name: String, bytes: [UInt8]) throws -> LoadedApp {
        let service = ManagementService(registry: registry, configuration: configuration)
        let response = service.load(LoadRequest(name: name, bytes: bytes))
        if case .error(let message) = response { throw BenchmarkLoadError(description: message) }
        guard case .loaded = response, let app = registry.app(named: name) else {
            throw BenchmarkLoadError(description: "unexpected answer to a load: \(response)")
        }
        return app
    }
}

/// Why `loadAsServer` refused a component: the server's own answer.
@_spi(Benchmark)
public struct BenchmarkLoadError: Error, CustomStringConvertible {
    public var description: String
}
