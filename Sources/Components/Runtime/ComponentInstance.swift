@_spi(Fuzzing) import WasmKit

/// One live instantiation of a component: a fresh `Store` holding every core instance of the
/// whole instantiation tree (nested component instances included), built by replaying the
/// plan's core instance definitions in order, and the canonical-ABI state of each component
/// instance (`InstanceState`: handle table, post-return flag, task state). Used for one call
/// (or one `ComponentSession`) and then dropped, or reset to its post-instantiation state
/// before its next call (`WarmInstance`), so no guest state survives between calls. Fuel and
/// the memory cap are the Store's, so they cover every component instance of the tree.
final class ComponentInstance {
    let plan: LinkPlan
    let store: Store
    /// Interpreter stacks reused by this instance's calls into its core functions.
    let stacks: ExecutionStackCache
    let limiter: MemoryCapLimiter
    /// One per component instance of the tree (`plan.componentInstances`); index 0 is the
    /// outermost component.
    private(set) var states: [InstanceState]
    /// The component instance whose host import is running (for `HostCallContext`).
    var currentInstance = 0
    /// Passed to every host function and host destructor this instance calls. One per call:
    /// a reused instance gets a new one for each call (`beginCall`).
    private(set) var context: HostCallContext
    /// The context between calls: no session, no control, no instance.
    private let idleContext = HostCallContext()
    /// `ExecutionLimits.maxResultBytes` of the call being served.
    var maxResultBytes: Int
    private var coreInstances: [CoreInstanceValue] = []
    /// Core functions by index (`plan.coreFunctions`), resolved or created once.
    private var functionCache: [Function?]
    /// Core memories by index (`plan.coreMemories`), resolved once: every host call's
    /// canonical options name one.
    private var memoryCache: [Memory?]
    /// Core function types by index, read once: the store's type interner takes a lock.
    private var functionTypeCache: [FunctionType?]
    /// The guest access of each lowered host import (by core function index), kept between
    /// its calls so a host call does not build one (and its handle scope) every time; marked
    /// in use while a call uses it, so a nested call of the same import gets a fresh one. It
    /// stays in its slot meanwhile: taking it out and putting it back wrote the array twice
    /// per host call.
    private var hostAccessCache: [GuestAccess?]

    enum CoreInstanceValue {
        case module(Instance)
        case inline([String: ExternalValue])

        func export(_ name: String) -> ExternalValue? {
            switch self {
            case .module(let instance): return instance.export(name)
            case .inline(let items): return items[name]
            }
        }
    }

    /// Instantiates the plan; start functions run under `limits`, and `control` (if any) may
    /// stop them (the store is attached to it before any guest code runs; the caller detaches).
    init(plan: LinkPlan, engine: Engine, limits: ExecutionLimits, limiter: MemoryCapLimiter? = nil, session: (any CallSession)? = nil,
         control: CallControl? = nil) throws {
        self.plan = plan
        self.store = Store(engine: engine)
        self.stacks = ExecutionStackCache(engine: engine)
        self.context = HostCallContext(session: session, control: control)
        self.maxResultBytes = limits.maxResultBytes
        self.limiter = limiter ?? MemoryCapLimiter(maxBytes: limits.maxMemoryBytes)
        self.functionCache = Array(repeating: nil, count: plan.coreFunctions.count)
        self.functionTypeCache = Array(repeating: nil, count: plan.coreFunctions.count)
        self.memoryCache = Array(repeating: nil, count: plan.coreMemories.count)
        self.hostAccessCache = Array(repeating: nil, count: plan.coreFunctions.count)
        let budget = HandleBudget()
        self.states = (0..<max(plan.componentInstances, 1)).map { _ in InstanceState(budget: budget) }
        store.resourceLimiter = self.limiter
        store.fuel = Fuel(remaining: limits.fuel)
        context.instance = self
        control?.attach(store)
        for definition in plan.coreInstances {
            coreInstances.append(try instantiate(definition))
        }
        if self.limiter.exceedsTotal { throw ComponentError.memoryLimit(self.limiter.maxBytes) }
    }

    /// The handle table of the component instance whose host import is running.
    var currentHandles: HandleTable { states[currentInstance].handles }

    /// Live handles in the tables of every component instance of the tree.
    var liveHandleCount: Int { states.reduce(0) { $0 + $1.handles.liveCount } }

    /// Every instance of a core module with its index in `plan.modules`, in creation order.
    var moduleInstances: [(module: Int, instance: Instance)] {
        zip(plan.coreInstances, coreInstances).compactMap { definition, value in
            guard case .instantiate(let module, _) = definition, case .module(let instance) = value else { return nil }
            return (module, instance)
        }
    }

    /// Gives a reused instance a new per-call context (carrying `session` and `control`). Its
    /// canonical-ABI state is already a fresh instance's: `endCall` reset it when the last call
    /// ended, and only instances that went through it are reused (`WarmInstance.reset`).
    func beginCall(session: (any CallSession)?, control: CallControl?) {
        currentInstance = 0
        context = HostCallContext(session: session, control: control)
        context.instance = self
        control?.attach(store)
    }

    /// Lets go of the last call's session and handles while the instance waits for reuse.
    func endCall() {
        // A host that (against the rules) kept the context must not see the next call.
        context.instance = nil
        resetStates()
        context = idleContext
    }

    /// Fresh canonical-ABI state for every component instance, sharing one handle budget.
    private func resetStates() {
        let budget = states[0].budget
        budget.reset()
        for state in states { state.reset(budget: budget) }
    }

    private func instantiate(_ definition: CoreInstanceDef) throws -> CoreInstanceValue {
        switch definition {
        case .instantiate(let module, let args):
            var imports = Imports()
            for (name, index) in args {
                switch coreInstances[index] {
                case .module(let instance): imports.define(module: name, instance.exports)
                case .inline(let items):
                    for (itemName, value) in items { imports.define(module: name, name: itemName, value) }
                }
            }
            // The memories the module defines are allocated first; the limiter counts them in
            // the tree's total, then tracks them by their `Memory` objects.
            limiter.expectAllocations(plan.definedMemories[module])
            let instance = try plan.modules[module].instantiate(store: store, imports: imports)
            limiter.track(plan.moduleState[module].map { state in
                state.memories.compactMap { name in
                    if case .memory(let memory) = instance.export(name) { return memory }
                    return nil
                }
            } ?? [])
            return .module(instance)
        case .inline(let items):
            var values: [String: ExternalValue] = [:]
            for (name, item) in items {
                switch item {
                case .function(let index): values[name] = .function(try function(index))
                case .memory(let index): values[name] = .memory(try memory(index))
                case .table(let index): values[name] = try export(plan.coreTables[index])
                case .global(let index): values[name] = try export(plan.coreGlobals[index])
                case .tag(let index): values[name] = try export(plan.coreTags[index])
                }
            }
            return .inline(values)
        }
    }

    private func export(_ ref: CoreExportRef) throws -> ExternalValue {
        guard ref.instance < coreInstances.count, let value = coreInstances[ref.instance].export(ref.name) else {
            throw ComponentError.trap("core instance \(ref.instance) has no export '\(ref.name)'")
        }
        return value
    }

    func memory(_ index: Int) throws -> Memory {
        if let cached = memoryCache[index] { return cached }
        guard case .memory(let memory) = try export(plan.coreMemories[index]) else {
            throw ComponentError.trap("core memory \(index) is not a memory")
        }
        memoryCache[index] = memory
        return memory
    }

    /// The core function at `index`, creating host trampolines (lowered imports, fused calls,
    /// built-ins) on first use.
    func function(_ index: Int) throws -> Function {
        if let cached = functionCache[index] { return cached }
        let function: Function
        switch plan.coreFunctions[index] {
        case .export(let instance, let name):
            guard case .function(let exported) = try export(CoreExportRef(instance: instance, name: name)) else {
                throw ComponentError.trap("core export '\(name)' is not a function")
            }
            function = exported
        case .lowered(let lowered):
            let signature = CanonicalABI.coreSignature(lowered.type, lifting: false)
            function = hostTrampoline(signature.params, signature.results) { instance, arguments in
                try instance.callHost(lowered, arguments, function: index)
            }
        case .fused(let fused):
            let signature = CanonicalABI.fusedSignature(fused)
            function = trampoline(signature.params, signature.results) { instance, arguments in
                try instance.callFused(fused, arguments)
            }
        case .resourceNew(let resource, let owner):
            function = trampoline([.i32], [.i32]) { instance, arguments in
                let state = instance.states[owner]
                try state.checkMayLeave("resource.new")
                return [.i32(try state.handles.add(HandleEntry(resource: resource, rep: try Self.i32(arguments), own: true), "resource.new of \(resource)"))]
            }
        case .resourceRep(let resource, let owner):
            function = trampoline([.i32], [.i32]) { instance, arguments in
                [.i32(try instance.states[owner].handles.rep(try Self.i32(arguments), resource, "resource.rep"))]
            }
        case .resourceDrop(let resource, let owner):
            // The implementation is looked up once here, not by name on every drop.
            let implementation = plan.resources[resource]
            function = trampoline([.i32], []) { instance, arguments in
                try instance.states[owner].checkMayLeave("resource.drop")
                try instance.dropHandle(try Self.i32(arguments), resource, implementation, in: owner)
                return []
            }
        case .builtin(let builtin):
            function = trampoline(builtin.params, builtin.results) { instance, arguments in
                try instance.runBuiltin(builtin, arguments)
            }
        }
        functionCache[index] = function
        return function
    }

    /// The core type of the function at `index`.
    func functionType(_ index: Int) throws -> FunctionType {
        if let cached = functionTypeCache[index] { return cached }
        let type = try function(index).type
        functionTypeCache[index] = type
        return type
    }

    /// A core function implemented in Swift. Captures the instance weakly: the Store owns
    /// this closure, and a strong reference back would keep the whole Store alive forever.
    private func trampoline(_ params: [ValueType], _ results: [ValueType], _ body: @escaping (ComponentInstance, [Value]) throws -> [Value]) -> Function {
        Function(store: store, parameters: params, results: results) { [weak self] _, arguments in
            guard let self else { throw ComponentError.trap("a canonical built-in was called after its instance ended") }
            return try body(self, arguments)
        }
    }

    /// A host import's core function: like `trampoline`, but its arguments stay in the engine's
    /// buffer and its results go straight into the engine's (WasmKit's array form allocates
    /// both on every call). The results are checked against the core signature as that form
    /// checks them.
    private func hostTrampoline(_ params: [ValueType], _ results: [ValueType],
                                _ body: @escaping (ComponentInstance, UnsafeBufferPointer<Value>) throws -> [Value]) -> Function {
        Function(store: store, parameters: params, results: results, raw: { [weak self] _, arguments, out in
            guard let self else { throw ComponentError.trap("a host import was called after its instance ended") }
            let produced = try body(self, arguments)
            guard produced.count == out.count, zip(produced, results).allSatisfy({ CanonicalABI.type(of: $0) == $1 }) else {
                throw ComponentError.trap("a host import produced core results \(produced), but its core type returns \(results)")
            }
            for (index, value) in produced.enumerated() { out[index] = value }
        })
    }

    /// Takes `units` from the store's fuel (nothing when it is not metered); throws
    /// `outOfFuel`, leaving the budget at zero, when it cannot pay.
    func chargeFuel(_ units: UInt64) throws(ComponentError) {
        guard let remaining = store.fuel?.remaining else { return }
        guard remaining >= units else {
            store.fuel = Fuel(remaining: 0)
            throw .outOfFuel
        }
        store.fuel = Fuel(remaining: remaining - units)
    }

    static func i32(_ arguments: [Value]) throws -> UInt32 {
        guard arguments.count == 1, case .i32(let value) = arguments[0] else {
            throw ComponentError.trap("canonical built-in called with \(arguments)")
        }
        return value
    }

    /// The guest memory/realloc view for a set of canonical options, with the handle table of
    /// component instance `instance`; `operation` names the call in trap messages, `lifted`
    /// what the values it lifts are.
    func access(_ options: CanonOptions, instance: Int, _ operation: String, lifted: GuestAccess.Lifted) throws -> GuestAccess {
        // Resolved with `if let`: `options.memory.map(memory)` built a closure retaining self.
        var guestMemory: Memory?
        if let index = options.memory { guestMemory = try memory(index) }
        var realloc: Function?
        if let index = options.realloc { realloc = try function(index) }
        let access = GuestAccess(memory: guestMemory, realloc: realloc, stacks: stacks,
                                 encoding: options.encoding, lifted: lifted, liftLimit: maxResultBytes)
        access.handleSource = HandleScope.Source(table: states[instance].handles, resources: plan.resources, instance: instance, context: operation)
        return access
    }

    /// The access for a call of the lowered host import at core function `index`: the one kept
    /// from its last call, readied for this one (`GuestAccess.reuse`), or a new one (kept for
    /// the next call when the slot is free). The caller gives it back with `keepHostAccess`
    /// when the call ends.
    func takeHostAccess(_ lowered: LoweredFunction, function index: Int) throws -> GuestAccess {
        if let kept = hostAccessCache[index], !kept.inUse {
            kept.reuse(liftLimit: maxResultBytes, table: states[lowered.instance].handles)
            kept.inUse = true
            return kept
        }
        let made = try access(lowered.options, instance: lowered.instance, lowered.name, lifted: .arguments(of: lowered.name))
        made.inUse = true
        if hostAccessCache[index] == nil { hostAccessCache[index] = made }
        return made
    }

    /// Frees `access` for the next call of the host import at core function `index`.
    func keepHostAccess(_ access: GuestAccess, function index: Int) {
        access.inUse = false
    }

    /// `canon resource.drop`: removes the handle from `instance`'s table and, for an owned one,
    /// destroys the resource through its implementation's destructor (`plan.resources[resource]`).
    func dropHandle(_ handle: UInt32, _ resource: String, _ implementation: ResourceImpl?, in instance: Int) throws {
        let entry = try states[instance].handles.drop(handle, resource, "resource.drop of \(plan.resourceDisplayNames[resource] ?? resource)")
        guard entry.own else { return }
        switch implementation {
        case .host(let host):
            try host.destructor(context, entry.rep)
        case .guest(let destructor?, _):
            try stacks.invoke(function(destructor), [.i32(entry.rep)])
        case .guest(nil, _), nil:
            break
        }
    }
}
