import WasmKit

// The resolved, immutable result of linking a component at load time. Every instantiation replays
// `coreInstances` in a fresh Store; nothing here is mutated after load, so it is shared freely
// between threads.

/// Canonical options with core indices resolved to the core index spaces.
struct CanonOptions: Sendable {
    var encoding: StringEncoding = .utf8
    /// Index into `LinkPlan.coreMemories`.
    var memory: Int?
    /// Index into `LinkPlan.coreFunctions`.
    var realloc: Int?
    /// Index into `LinkPlan.coreFunctions`.
    var postReturn: Int?
}

/// A component function defined by `canon lift`.
struct LiftedFunction: Sendable {
    var coreFunction: Int
    var options: CanonOptions
    var type: WITFunctionType
}

/// A core function defined by `canon lower` of a host import.
struct LoweredFunction: Sendable {
    /// The import path for messages, e.g. `wasi:random/random@0.2.0/get-random-bytes`.
    var name: String
    var host: HostFunction
    var type: WITFunctionType
    var options: CanonOptions
}

/// A component function value.
enum ComponentFunction: Sendable {
    case lifted(LiftedFunction)
    case imported(name: String, host: HostFunction, type: WITFunctionType)

    var type: WITFunctionType {
        switch self {
        case .lifted(let lifted): return lifted.type
        case .imported(_, _, let type): return type
        }
    }
}

/// An entry of the core function index space.
enum CoreFunctionDef: Sendable {
    case export(instance: Int, name: String)
    case lowered(LoweredFunction)
    /// `canon resource.new R`: `(rep: i32) -> handle: i32`, R defined by this component.
    case resourceNew(resource: String)
    /// `canon resource.rep R`: `(handle: i32) -> rep: i32`, R defined by this component.
    case resourceRep(resource: String)
    /// `canon resource.drop R`: `(handle: i32) -> ()`, runs R's destructor for an owned handle.
    case resourceDrop(resource: String)
}

/// Who implements a resource type, and so what dropping an owned handle of it does.
enum ResourceImpl: Sendable {
    /// Imported from the host: its destructor is a Swift closure.
    case host(HostResource)
    /// Defined by the component (`(type (resource (rep i32) (dtor f)))`): `destructor` indexes
    /// `LinkPlan.coreFunctions`.
    case guest(destructor: Int?)

    var isGuest: Bool {
        if case .guest = self { return true }
        return false
    }
}

/// A reference to an export of a core instance (memories, tables, globals).
struct CoreExportRef: Sendable {
    var instance: Int
    var name: String
}

/// An item of an inline core instance.
enum CoreItem: Sendable {
    case function(Int), table(Int), memory(Int), global(Int)
}

/// An entry of the core instance index space, replayed in order at every instantiation.
enum CoreInstanceDef: Sendable {
    /// Instantiate `LinkPlan.modules[module]`, each import module name bound to a core instance.
    case instantiate(module: Int, args: [(String, Int)])
    case inline([(String, CoreItem)])
}

/// Everything needed to instantiate and call a component.
struct LinkPlan: Sendable {
    var modules: [Module] = []
    /// For each of `modules`, the reserved exports that reach its memories, tables and globals
    /// (`CoreStateRewriter`), or nil when it could not be rewritten: the component is then not
    /// resettable and every call instantiates afresh.
    var moduleState: [CoreStateExports?] = []
    var coreInstances: [CoreInstanceDef] = []
    var coreFunctions: [CoreFunctionDef] = []
    var coreMemories: [CoreExportRef] = []
    var coreTables: [CoreExportRef] = []
    var coreGlobals: [CoreExportRef] = []
    /// Callable exports by client-visible name (`f` or `iface/f`).
    var exports: [String: LiftedFunction] = [:]
    /// Every resource type the component can hold handles to, by its unique name (the names
    /// `WITType.own/borrow(resource:)` carry inside this plan).
    var resources: [String: ResourceImpl] = [:]
    /// Display names for resources defined by the component and exported (internal name →
    /// e.g. `test:res/iface#counter`); applied to `Component.exports` only.
    var resourceDisplayNames: [String: String] = [:]
}
