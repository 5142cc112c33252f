import Components

/// Entry points for `enclave-bench` (README, Performance), so that it measures the server's own
/// code paths instead of a copy of them. Not part of the supported API: `@_spi(Benchmark)`.
extension LoadedApp {
    /// Calls `function` exactly as a `wasm_call` does once its arguments are typed: a fresh
    /// instance with a fresh WASI session over this app's sealed store (`AppHost.call`), with
    /// no network, JSON or thread hop around it. Guest output lines go to `log`.
    /// - Throws: `ComponentError` (e.g. `out of fuel`) or the export is missing.
    @_spi(Benchmark)
    public func callAsServer(_ function: String, _ arguments: [ComponentValue],
                             log: @escaping @Sendable (String) -> Void = { _ in }) throws -> [ComponentValue] {
        guard let export = export(named: function) else { throw ComponentError.noSuchExport(function) }
        return try AppHost.call(self, export, arguments, log: log)
    }
}
