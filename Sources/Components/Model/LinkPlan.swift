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
    /// Index into `LinkPlan.coreFunctions` (async lifts with a callback).
    var callback: Int?
}

/// A component function defined by `canon lift`.
struct LiftedFunction: Sendable {
    var coreFunction: Int
    var options: CanonOptions
    var type: WITFunctionType {
        didSet { layout = FunctionLayout(type) }
    }
    /// The canonical-ABI layouts of `type`, computed once here instead of on every call.
    private(set) var layout: FunctionLayout
    /// The component instance (index into the runtime's per-instance state) that lifted it;
    /// its handle table receives the arguments' handles.
    var instance: Int = 0
    /// `canon lift … async`: results arrive through `task.return`.
    var isAsync = false
    /// The name it was first exported under (for messages about calls into it).
    var exportName: String?
    /// Set when the function's type uses something calls cannot carry here (streams, futures,
    /// error contexts, huge fixed-length lists): calling it traps with this reason.
    var unsupported: String?

    init(coreFunction: Int, options: CanonOptions, type: WITFunctionType, instance: Int = 0, isAsync: Bool = false,
         exportName: String? = nil, unsupported: String? = nil) {
        self.coreFunction = coreFunction
        self.options = options
        self.type = type
        self.layout = FunctionLayout(type)
        self.instance = instance
        self.isAsync = isAsync
        self.exportName = exportName
        self.unsupported = unsupported
    }
}

/// A core function defined by `canon lower` of a host import.
struct LoweredFunction: Sendable {
    /// The import path for messages, e.g. `wasi:random/random@0.2.0/get-random-bytes`.
    var name: String
    var host: HostFunction
    let type: WITFunctionType
    /// The canonical-ABI layouts of `type`, computed once at link time for every call.
    let layout: FunctionLayout
    var options: CanonOptions
    /// The component instance that lowered it (whose handle table its handles use).
    var instance: Int = 0

    init(name: String, host: HostFunction, type: WITFunctionType, options: CanonOptions, instance: Int = 0) {
        self.name = name
        self.host = host
        self.type = type
        self.layout = FunctionLayout(type)
        self.options = options
        self.instance = instance
    }
}

/// A core function defined by `canon lower` of a function another component instance lifted:
/// the fused adapter of the canonical ABI (lift from the caller, lower into the callee, call,
/// then the same for the results).
struct FusedCall: Sendable {
    var callee: LiftedFunction
    /// The caller's lowering options (its memory, realloc and string encoding).
    var options: CanonOptions
    /// The calling component instance.
    var instance: Int
    /// `canon lower … async`: arguments may arrive through a pointer past 4 flat values, the
    /// results go to a return pointer, and the core function returns a status code.
    var isAsync: Bool
    /// For messages: the callee's export path as the caller imports it.
    var name: String
}

/// A canonical built-in other than the resource built-ins.
struct BuiltinFunction: Sendable {
    enum Kind: Sendable {
        case contextGet(Int), contextSet(Int)
        case backpressureSet, backpressureChange(Int)
        /// `task.return` of an async-lifted function with this result type and options.
        case taskReturn(WITType?, CanonOptions)
        /// A built-in of the async or thread proposals this layer does not run: it traps
        /// (after the post-return check every built-in makes).
        case unsupported(String)
    }
    var kind: Kind
    /// The component instance that defined it.
    var instance: Int
    var params: [ValueType]
    var results: [ValueType]
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
    case fused(FusedCall)
    /// `canon resource.new R`: `(rep: i32) -> handle: i32`, R defined by this component.
    case resourceNew(resource: String, instance: Int)
    /// `canon resource.rep R`: `(handle: i32) -> rep: i32`, R defined by this component.
    case resourceRep(resource: String, instance: Int)
    /// `canon resource.drop R`: `(handle: i32) -> ()`, runs R's destructor for an owned handle.
    case resourceDrop(resource: String, instance: Int)
    case builtin(BuiltinFunction)
}

/// Who implements a resource type, and so what dropping an owned handle of it does.
enum ResourceImpl: Sendable {
    /// Imported from the host: its destructor is a Swift closure.
    case host(HostResource)
    /// Defined by a component instance (`(type (resource (rep i32) (dtor f)))`):
    /// `destructor` indexes `LinkPlan.coreFunctions`; `instance` is the defining instance.
    case guest(destructor: Int?, instance: Int)

    var isGuest: Bool {
        if case .guest = self { return true }
        return false
    }

    /// Whether component instance `instance` implements this resource (and so receives the
    /// `rep` itself where others receive a handle).
    func isImplemented(by instance: Int) -> Bool {
        if case .guest(_, let owner) = self { return owner == instance }
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
    case function(Int), table(Int), memory(Int), global(Int), tag(Int)
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
    /// For each of `modules`, how many memories it defines (the memory limiter counts their
    /// allocations into the tree's total).
    var definedMemories: [Int] = []
    /// For each of `modules`, where in the component binary it was defined.
    var moduleSources: [ModuleSource] = []
    var coreInstances: [CoreInstanceDef] = []
    var coreFunctions: [CoreFunctionDef] = []
    var coreMemories: [CoreExportRef] = []
    var coreTables: [CoreExportRef] = []
    var coreGlobals: [CoreExportRef] = []
    var coreTags: [CoreExportRef] = []
    /// How many component instances the component's instantiation creates (itself and every
    /// nested instantiation); each has its own handle table and canonical-ABI state.
    var componentInstances = 1
    /// Callable exports by client-visible name (`f` or `iface/f`).
    var exports: [String: LiftedFunction] = [:]
    /// Every resource type the component can hold handles to, by its unique name (the names
    /// `WITType.own/borrow(resource:)` carry inside this plan).
    var resources: [String: ResourceImpl] = [:]
    /// Display names for resources defined by the component and exported (internal name →
    /// e.g. `test:res/iface#counter`); applied to `Component.exports` only.
    var resourceDisplayNames: [String: String] = [:]
}
