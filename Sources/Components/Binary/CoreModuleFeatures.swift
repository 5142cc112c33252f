import WasmKit
import WasmParser

/// The WebAssembly proposals the core modules of a component may use when they run here:
/// WasmKit's defaults (reference types, exception handling) and multi-memory, which wasmtime
/// enables by default and the Component Model's linking tests rely on (one module importing a
/// memory and defining another). Validation alone (`CoreModuleValidation`) accepts every
/// proposal WasmKit can decode, as wasmtime's validator does.
enum CoreModuleFeatures {
    static let runnable: WasmFeatureSet = WasmFeatureSet.default.union(.multiMemory)
}
