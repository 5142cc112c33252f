@_spi(Fuzzing) import WasmKit

/// Caps each linear memory of one instance and remembers that a growth was refused, so that a
/// trap which follows can be reported as the memory limit rather than as a bare trap.
final class MemoryCapLimiter: ResourceLimiter, @unchecked Sendable {
    /// Per call: a reused instance gets the cap of the call it serves.
    private(set) var maxBytes: Int
    /// Set when a growth was denied; read after the call on the same thread.
    private(set) var refused = false
    /// How often a table was created or grown since the last `reset`. A reused instance is
    /// only restored when no table grew (`InstanceSnapshot`): WasmKit has no public table size.
    private(set) var tableGrowthChecks = 0

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    /// Prepares the limiter of a reused instance for its next call.
    func reset(maxBytes: Int, refused: Bool) {
        self.maxBytes = maxBytes
        self.refused = refused
        tableGrowthChecks = 0
    }

    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        guard desired <= maxBytes else {
            refused = true
            return false
        }
        return true
    }

    func limitTableGrowth(to desired: Int) throws -> Bool {
        tableGrowthChecks += 1
        return desired <= 1 << 20
    }
}

/// One live instantiation of a component: a fresh `Store` holding every core instance, built by
/// replaying the plan's core instance definitions in order, and the component's resource handle
/// table. Used for one call (or one `ComponentSession`) and then dropped, or reset to its
/// post-instantiation state before its next call (`WarmInstance`), so no guest state survives
/// between calls.
final class ComponentInstance {
    let plan: LinkPlan
    let store: Store
    let limiter: MemoryCapLimiter
    /// The component's handle table (one per instance, as the spec's `inst.table`); replaced
    /// by an empty one when a reused instance is reset.
    private(set) var handles = HandleTable()
    /// Passed to every host function and host destructor this instance calls. One per call:
    /// a reused instance gets a new one for each call (`beginCall`).
    private(set) var context: HostCallContext
    /// `ExecutionLimits.maxResultBytes` of the call being served.
    var maxResultBytes: Int
    private var coreInstances: [CoreInstanceValue] = []
    private var functionCache: [Int: Function] = [:]

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
    init(plan: LinkPlan, engine: Engine, limits: ExecutionLimits, limiter: MemoryCapLimiter? = nil, session: AnyObject? = nil,
         control: CallControl? = nil) throws {
        self.plan = plan
        self.store = Store(engine: engine)
        self.context = HostCallContext(session: session, control: control)
        self.maxResultBytes = limits.maxResultBytes
        self.limiter = limiter ?? MemoryCapLimiter(maxBytes: limits.maxMemoryBytes)
        store.resourceLimiter = self.limiter
        store.fuel = Fuel(remaining: limits.fuel)
        context.instance = self
        control?.attach(store)
        for definition in plan.coreInstances {
            coreInstances.append(try instantiate(definition))
        }
    }

    /// Every instance of a core module with its index in `plan.modules`, in creation order.
    var moduleInstances: [(module: Int, instance: Instance)] {
        zip(plan.coreInstances, coreInstances).compactMap { definition, value in
            guard case .instantiate(let module, _) = definition, case .module(let instance) = value else { return nil }
            return (module, instance)
        }
    }

    /// Gives a reused instance a new per-call context (carrying `session` and `control`) and an
    /// empty handle table, as a fresh instance would have.
    func beginCall(session: AnyObject?, control: CallControl?) {
        handles = HandleTable()
        context = HostCallContext(session: session, control: control)
        context.instance = self
        control?.attach(store)
    }

    /// Lets go of the last call's session and handles while the instance waits for reuse.
    func endCall() {
        // A host that (against the rules) kept the context must not see the next call.
        context.instance = nil
        handles = HandleTable()
        context = HostCallContext()
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
            return .module(try plan.modules[module].instantiate(store: store, imports: imports))
        case .inline(let items):
            var values: [String: ExternalValue] = [:]
            for (name, item) in items {
                switch item {
                case .function(let index): values[name] = .function(try function(index))
                case .memory(let index): values[name] = .memory(try memory(index))
                case .table(let index): values[name] = try export(plan.coreTables[index])
                case .global(let index): values[name] = try export(plan.coreGlobals[index])
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
        guard case .memory(let memory) = try export(plan.coreMemories[index]) else {
            throw ComponentError.trap("core memory \(index) is not a memory")
        }
        return memory
    }

    /// The core function at `index`, creating host trampolines for lowered imports on first use.
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
            function = makeHostFunction(lowered)
        case .resourceNew(let resource):
            function = makeResourceBuiltin(resource, results: [.i32]) { instance, value in
                [.i32(try instance.handles.add(HandleEntry(resource: resource, rep: value, own: true), "resource.new of \(resource)"))]
            }
        case .resourceRep(let resource):
            function = makeResourceBuiltin(resource, results: [.i32]) { instance, handle in
                [.i32(try instance.handles.rep(handle, resource, "resource.rep"))]
            }
        case .resourceDrop(let resource):
            function = makeResourceBuiltin(resource, results: []) { instance, handle in
                try instance.dropHandle(handle, resource)
                return []
            }
        }
        functionCache[index] = function
        return function
    }

    /// The guest memory/realloc view for a set of canonical options; `operation` names the
    /// call in trap messages about handles, `lifted` what the values it lifts are.
    func access(_ options: CanonOptions, _ operation: String, lifted: GuestAccess.Lifted) throws -> GuestAccess {
        let access = GuestAccess(memory: try options.memory.map(memory), realloc: try options.realloc.map(function),
                                 encoding: options.encoding, lifted: lifted, liftLimit: maxResultBytes)
        access.handles = HandleScope(table: handles, resources: plan.resources, context: operation)
        return access
    }

    /// A core function `(i32) -> results` implementing a resource built-in. Weak for the same
    /// reason as `makeHostFunction`.
    private func makeResourceBuiltin(_ resource: String, results: [ValueType], _ body: @escaping (ComponentInstance, UInt32) throws -> [Value]) -> Function {
        Function(store: store, parameters: [.i32], results: results) { [weak self] _, arguments in
            guard let self else { throw ComponentError.trap("resource built-in called after its instance ended") }
            guard arguments.count == 1, case .i32(let value) = arguments[0] else {
                throw ComponentError.trap("resource built-in for \(resource) called with \(arguments)")
            }
            return try body(self, value)
        }
    }

    /// `canon resource.drop`: removes the handle and, for an owned one, destroys the resource
    /// through its implementation's destructor.
    func dropHandle(_ handle: UInt32, _ resource: String) throws {
        let entry = try handles.drop(handle, resource, "resource.drop of \(plan.resourceDisplayNames[resource] ?? resource)")
        guard entry.own else { return }
        switch plan.resources[resource] {
        case .host(let host):
            try host.destructor(context, entry.rep)
        case .guest(let destructor?):
            try function(destructor).invoke([.i32(entry.rep)])
        case .guest(nil), nil:
            break
        }
    }

    /// A core function that lifts the guest's arguments, calls the Swift host function and
    /// lowers its results. Captures the instance weakly: the Store owns this closure, and a strong
    /// reference back would keep the whole Store alive forever.
    private func makeHostFunction(_ lowered: LoweredFunction) -> Function {
        let signature = CanonicalABI.coreSignature(lowered.type, lifting: false)
        return Function(store: store, parameters: signature.params, results: signature.results) { [weak self] _, arguments in
            guard let self else { throw ComponentError.trap("host function called after its instance ended") }
            return try self.callHost(lowered, arguments)
        }
    }

    private func callHost(_ lowered: LoweredFunction, _ arguments: [Value]) throws -> [Value] {
        let access = try access(lowered.options, lowered.name, lifted: .arguments(of: lowered.name))
        // Borrows lent to the host last exactly as long as the host call (spec: lenders are
        // released when the subtask returns).
        defer { access.handles?.releaseLenders() }
        let paramTypes = lowered.type.params.map(\.type)
        let resultTypes = lowered.type.results.map(\.type)
        var cursor = FlatCursor(arguments)
        var values: [ComponentValue]
        if paramTypes.flatMap(CanonicalABI.flatten).count > CanonicalABI.maxFlatParams {
            guard case .i32(let pointer) = try cursor.next(.i32) else { return [] }
            let tuple = WITType.tuple(paramTypes)
            try access.checkAlignment(Int(pointer), CanonicalABI.alignment(tuple), "\(lowered.name) arguments")
            guard case .tuple(let loaded) = try CanonicalABI.load(access, tuple, at: Int(pointer)) else { return [] }
            values = loaded
        } else {
            values = try paramTypes.map { try CanonicalABI.liftFlat(access, &cursor, $0) }
        }
        // Host work is charged and the call's time limit checked as the values cross (HostWorkFuel).
        try context.checkStop()
        try context.chargeFuel(HostWorkFuel.perCall + HostWorkFuel.units(forBytes: HostWorkFuel.bytes(of: values)))
        let results = try lowered.host.body(context, values)
        try context.checkStop()
        try context.chargeFuel(HostWorkFuel.units(forBytes: HostWorkFuel.bytes(of: results)))
        guard results.count == resultTypes.count, zip(results, resultTypes).allSatisfy({ $0.0.matches($0.1) }) else {
            throw ComponentError.trap("host function \(lowered.name) returned values that do not match its WIT results")
        }
        if resultTypes.flatMap(CanonicalABI.flatten).count > CanonicalABI.maxFlatResults {
            guard case .i32(let pointer) = try cursor.next(.i32) else { return [] }
            let tuple = WITType.tuple(resultTypes)
            try access.checkAlignment(Int(pointer), CanonicalABI.alignment(tuple), "\(lowered.name) results")
            try CanonicalABI.store(access, .tuple(results), tuple, at: Int(pointer))
            return []
        }
        return try zip(results, resultTypes).flatMap { try CanonicalABI.lowerFlat(access, $0.0, $0.1) }
    }
}
