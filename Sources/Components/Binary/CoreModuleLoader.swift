import WasmKit

/// Parses a component's embedded core module after its load-time rewrites: custom sections
/// stripped (`CustomSectionStripper`, mandatory: WasmKit must never read a hostile `name`
/// section), the fuel charge for entering a function (`FuelEntryCharge`, so fuel is counted
/// like wasmtime's) and the state exports (`CoreStateRewriter`) that let instances be reset and
/// reused.
enum CoreModuleLoader {
    /// - Throws: WasmKit's parse error when the bytes are not a valid module, or
    ///   `CoreStateRewriteError.malformed` when its sections cannot be split. The two optional
    ///   rewrites never fail the load: the module is used without them (without the entry
    ///   charge, or with `state == nil`: a fresh instance per call).
    static func load(_ bytes: [UInt8]) throws -> (module: Module, state: CoreStateExports?) {
        let stripped: [UInt8]
        do {
            stripped = try CustomSectionStripper.strip(bytes)
        } catch {
            // WasmKit's parser names the problem better than our section split.
            _ = try parseWasm(bytes: bytes, features: CoreModuleFeatures.runnable)
            throw error
        }
        // The stripped module is what every later step reads and what is instantiated; the
        // rewrites trust WasmKit's reading of its imports and exports.
        let original = try parseWasm(bytes: stripped, features: CoreModuleFeatures.runnable)
        let charged = FuelEntryCharge.insert(stripped) ?? stripped
        let rewritten = try? CoreStateRewriter.rewrite(charged, module: original)
        let final = rewritten?.bytes ?? charged
        guard final != stripped else { return (original, rewritten?.exports) }
        if let module = try? parseWasm(bytes: final, features: CoreModuleFeatures.runnable) { return (module, rewritten?.exports) }
        return (original, nil)
    }
}
