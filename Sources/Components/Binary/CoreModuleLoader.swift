import WasmKit

/// Parses a component's embedded core module, preferring the variant with state exports
/// (`CoreStateRewriter`) so that instances of it can be reset and reused.
enum CoreModuleLoader {
    /// - Throws: WasmKit's parse error for the original bytes, when they are not a valid module.
    ///   A rewrite that fails never fails the load: it only returns `state == nil`.
    static func load(_ bytes: [UInt8]) throws -> (module: Module, state: CoreStateExports?) {
        // The original is parsed first so that errors name the guest's bytes, not ours, and so
        // that the rewrite can trust WasmKit's reading of imports and exports.
        let original = try parseWasm(bytes: bytes)
        guard let rewritten = try? CoreStateRewriter.rewrite(bytes, module: original) else {
            return (original, nil)
        }
        guard rewritten.bytes != bytes else { return (original, rewritten.exports) }
        guard let module = try? parseWasm(bytes: rewritten.bytes) else { return (original, nil) }
        return (module, rewritten.exports)
    }
}
