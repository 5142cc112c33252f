import WasmKit

/// Parses a component's embedded core module after two load-time rewrites: the fuel charge for
/// entering a function (`FuelEntryCharge`, so fuel is counted like wasmtime's) and the state
/// exports (`CoreStateRewriter`) that let instances be reset and reused.
enum CoreModuleLoader {
    /// - Throws: WasmKit's parse error for the original bytes, when they are not a valid module.
    ///   A rewrite that fails never fails the load: the module is used without it (without the
    ///   entry charge, or with `state == nil`: a fresh instance per call).
    static func load(_ bytes: [UInt8]) throws -> (module: Module, state: CoreStateExports?) {
        // The original is parsed first so that errors name the guest's bytes, not ours, and so
        // that the rewrites can trust WasmKit's reading of imports and exports (which the entry
        // charge does not change).
        let original = try parseWasm(bytes: bytes)
        let charged = FuelEntryCharge.insert(bytes) ?? bytes
        let rewritten = try? CoreStateRewriter.rewrite(charged, module: original)
        let final = rewritten?.bytes ?? charged
        guard final != bytes else { return (original, rewritten?.exports) }
        if let module = try? parseWasm(bytes: final) { return (module, rewritten?.exports) }
        return (original, nil)
    }
}
