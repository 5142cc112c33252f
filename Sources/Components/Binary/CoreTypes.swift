// Core WebAssembly types as far as the component layer needs them: the signatures of core
// functions, tables, memories, globals and tags (to check core instantiation and the canonical
// ABI), and core module types (`core:moduletype`). GC types are decoded structurally only.

/// A core value type. Reference types keep their heap type as written (an abstract heap type
/// code or a type index), which is enough to compare them for equality.
enum CoreValType: Hashable, Sendable, CustomStringConvertible {
    case i32, i64, f32, f64, v128
    case ref(nullable: Bool, heap: Int64)

    static let funcref = CoreValType.ref(nullable: true, heap: -0x10)
    static let externref = CoreValType.ref(nullable: true, heap: -0x11)

    var description: String {
        switch self {
        case .i32: return "i32"
        case .i64: return "i64"
        case .f32: return "f32"
        case .f64: return "f64"
        case .v128: return "v128"
        case .ref(let nullable, let heap):
            switch (nullable, heap) {
            case (true, -0x10): return "funcref"
            case (true, -0x11): return "externref"
            default: return "(ref \(nullable ? "null " : "")\(heap))"
            }
        }
    }
}

/// A core function type.
struct CoreFuncType: Hashable, Sendable, CustomStringConvertible {
    var params: [CoreValType]
    var results: [CoreValType]

    var description: String {
        "(func (param \(params.map(\.description).joined(separator: " "))) (result \(results.map(\.description).joined(separator: " "))))"
    }
}

/// Table and memory limits.
struct CoreLimits: Hashable, Sendable {
    var min: UInt64
    var max: UInt64?
    var shared = false
    var is64 = false
}

/// The type of one core import or export.
enum CoreExternType: Hashable, Sendable {
    case function(CoreFuncType)
    case table(element: CoreValType, limits: CoreLimits)
    case memory(CoreLimits)
    case global(CoreValType, mutable: Bool)
    case tag(CoreFuncType)

    var kindName: String {
        switch self {
        case .function: return "func"
        case .table: return "table"
        case .memory: return "memory"
        case .global: return "global"
        case .tag: return "tag"
        }
    }
}

/// A resolved core module type: what a module imports and exports.
struct CoreModuleType: Sendable {
    var imports: [(module: String, name: String, type: CoreExternType)] = []
    var exports: [(name: String, type: CoreExternType)] = []
    /// Memories the module defines (not imports); 0 for module types.
    var definedMemoryCount = 0

    func export(_ name: String) -> CoreExternType? {
        exports.first { $0.name == name }?.type
    }
}

// MARK: core types as written in a component (unresolved)

/// A core import/export descriptor as written in a module type (function and tag types by index).
enum CoreImportDesc: Sendable {
    case function(typeIndex: UInt32)
    case table(element: CoreValType, limits: CoreLimits)
    case memory(CoreLimits)
    case global(CoreValType, mutable: Bool)
    case tag(typeIndex: UInt32)
}

/// A declaration inside a `core:moduletype`.
enum CoreModuleDecl: Sendable {
    case `import`(module: String, name: String, desc: CoreImportDesc)
    case type(CoreTypeDef)
    /// `alias outer ct idx` of a core type (the only alias allowed in module types).
    case outerType(count: UInt32, index: UInt32)
    case export(name: String, desc: CoreImportDesc)
}

/// `core:type` as written.
indirect enum CoreTypeDef: Sendable {
    case function(CoreFuncType)
    case module([CoreModuleDecl])
    /// A GC struct/array type or a recursion group: decoded, not used.
    case other
}
