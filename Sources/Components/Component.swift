import Foundation
import WasmKit

/// A validated WebAssembly component, ready to be called. Safe to share between threads:
/// every call runs in its own instance, which observes the state of a fresh instantiation.
/// (Instances are reused after an exact reset when the component allows it; see `InstancePool`.)
public final class Component: Sendable {
    /// The exported functions, sorted by name.
    public let exports: [ExportedFunction]

    /// The resolved link plan: parsed core modules and how to wire them. Never mutated.
    private let plan: LinkPlan
    /// `plan.exports`, each boxed once: a call borrows its export's description (type,
    /// layouts, options) instead of copying it out of the dictionary.
    private let liftedExports: [String: LiftedExport]
    /// Shared by all calls: WasmKit's engine holds only immutable configuration and a
    /// synchronised type interner.
    private let engine: Engine
    /// Idle instances ready for reuse; nil when some core module could not be given state
    /// exports, and every call then instantiates afresh.
    private let pool: InstancePool?

    private init(plan: LinkPlan, engine: Engine, options: LoadOptions) {
        self.plan = plan
        self.liftedExports = plan.exports.mapValues(LiftedExport.init)
        self.engine = engine
        let reusable = !plan.moduleState.contains(where: { $0 == nil }) && options.reuseInstances
        self.pool = reusable ? InstancePool(copyOnWriteMinimumBytes: options.copyOnWriteMinimumBytes) : nil
        // Resources the component defines are shown under the name they are exported by.
        self.exports = plan.exports
            .map { ExportedFunction(name: $0.key, type: $0.value.type.renamingResources(plan.resourceDisplayNames)) }
            .sorted { $0.name < $1.name }
    }

    /// The engine configuration every component uses: fuel metering on, so calls can be bounded.
    static func makeEngine() -> Engine {
        Engine(configuration: EngineConfiguration(fuelMetering: true))
    }

    /// Parses and validates a component binary.
    /// - Throws: `ComponentError` naming what is wrong (not a component, malformed, unsupported,
    ///   a missing import).
    public static func load(_ bytes: [UInt8]) throws -> Component {
        try load(bytes, imports: .none)
    }

    /// Parses and validates a component binary, binding its imports to `imports`.
    ///
    /// Besides decoding and resolving every index, this instantiates the component once (with
    /// the default limits) so that link errors between its core modules surface here rather
    /// than on the first call.
    ///
    /// Start functions and constructors run during that trial instantiation exactly as they do
    /// before a call: under `options.trialLimits`, with `trialSession` handed to every host
    /// function they reach (nil: host functions that need a session trap). The caller owns the
    /// session and ends it afterwards, whether the load succeeded or not.
    public static func load(_ bytes: [UInt8], imports: HostImports, options: LoadOptions = LoadOptions(),
                            trialSession: (any CallSession)? = nil) throws -> Component {
        let ast = try ComponentParser.parse(bytes)
        let validator = try ComponentValidator.validate(ast)
        let plan = try ComponentLinker.link(ast, hostImports: imports)
        let component = Component(plan: plan, engine: makeEngine(), options: options)
        // Start functions and constructors get the time limit a call gets.
        let control = options.trialLimits.timeLimit.map { CallControl(timeLimit: $0) }
        defer { control?.detach() }
        do {
            // Eager translation validates every function body now; calls then use the lazy engine.
            let validating = Engine(configuration: EngineConfiguration(compilationMode: .eager, fuelMetering: true))
            let trial = try ComponentInstance(plan: plan, engine: validating, limits: options.trialLimits,
                                              limiter: MemoryCapLimiter(maxBytes: options.trialLimits.maxMemoryBytes),
                                              session: trialSession, control: control)
            try trial.validate(plan.exports)
        } catch let error as ComponentError {
            throw control?.stopError ?? error
        } catch {
            if let stop = control?.stopError { throw stop }
            let mapped = ErrorMapping.map(error, limiter: nil, fuelLeft: nil)
            if case .trap(let reason) = mapped, !String(describing: error).hasPrefix("Trap") {
                throw ComponentError.malformed("instantiation: \(reason)")
            }
            throw mapped
        }
        // Modules no core instance uses were not compiled by the trial: check their code too.
        let instantiated = Set(plan.coreInstances.compactMap { definition -> ModuleSource? in
            guard case .instantiate(let module, _) = definition else { return nil }
            return plan.moduleSources[module]
        })
        for (source, moduleBytes) in validator.coreModules where !instantiated.contains(source) {
            try CoreModuleValidation.validateCode(moduleBytes)
        }
        return component
    }

    /// Checks that `bytes` are a valid component, as wasmtime's validator does, without
    /// linking or instantiating it: every rule of the Component Model's validation at every
    /// nesting level, and the code of every core module. A component that validates may still
    /// fail to load here (a missing import, an unsupported construct).
    /// - Throws: `ComponentError` naming the first problem.
    public static func validate(_ bytes: [UInt8]) throws {
        let ast = try ComponentParser.parse(bytes)
        let validator = try ComponentValidator.validate(ast)
        for moduleBytes in validator.coreModules.values {
            try CoreModuleValidation.validateCode(moduleBytes)
        }
    }

    /// The export named `name`, if any.
    public func export(named name: String) -> ExportedFunction? {
        exports.first { $0.name == name }
    }

    /// Calls an export in a fresh instance. Arguments must already match the export's WIT
    /// parameter types (the server checks typed JSON against `exports` first). `session` is
    /// handed to every host function the call reaches (`HostCallContext.session`).
    ///
    /// "Fresh" is what the guest observes: when the component allows it, the instance is one
    /// that served an earlier call and was reset to its post-instantiation snapshot (memory,
    /// globals, tables, empty handle table; fuel charged as if instantiated anew). An instance
    /// whose call failed, or whose memory or table grew, is never reused.
    ///
    /// Resource handles cross as `.handle(rep)`: an `own<R>` or `borrow<R>` argument of a host
    /// resource R is entered in the guest's handle table (a borrow must be dropped by the guest
    /// before it returns); an `own<R>` result leaves the table and is returned as its `rep`.
    /// The call's wall-clock limit and stop signal are `control`'s when given, else
    /// `limits.timeLimit`'s (nil: none); a call past them fails with `time limit (N s)` or
    /// `stopped: <reason>` (see `CallControl`).
    /// - Throws: `ComponentError` whose description is the reason shown to clients after
    ///   `call failed: `, e.g. `out of fuel`.
    public func call(_ name: String, _ arguments: [ComponentValue], limits: ExecutionLimits = .default, session: (any CallSession)? = nil,
                     control: CallControl? = nil) throws -> [ComponentValue] {
        let export = try checkedExport(name, arguments)
        let control = control ?? limits.timeLimit.map { CallControl(timeLimit: $0) }
        try control?.check()
        do {
            if let pool, let warm = pool.take(), warm.prepare(limits: limits, session: session, control: control) {
                return try run(export, arguments, name: name, in: warm.instance, reuse: warm, control: control)
            }
            let fresh = try makeInstance(limits: limits, session: session, control: control)
            switch pool.map({ WarmInstance.offer(fresh, limits: limits, copyOnWriteMinimumBytes: $0.copyOnWriteMinimumBytes) }) ?? .notReusable {
            case .warm(let warm): return try run(export, arguments, name: name, in: fresh, reuse: warm, control: control)
            case .notReusable: return try run(export, arguments, name: name, in: fresh, reuse: nil, control: control)
            case .damaged:
                let another = try makeInstance(limits: limits, session: session, control: control)
                return try run(export, arguments, name: name, in: another, reuse: nil, control: control)
            }
        } catch {
            control?.detach()
            // A stopped call's guest traps for want of fuel: report why it was stopped.
            if let stop = control?.stopError, (error as? ComponentError).map({ $0 == .outOfFuel || $0.isStop }) == true {
                throw stop
            }
            throw error
        }
    }

    /// Calls an export in a newly instantiated instance that is never reused: the behaviour
    /// `call` keeps exactly, at the cost of an instantiation. For benchmarks and tests.
    @_spi(Benchmark)
    public func callFresh(_ name: String, _ arguments: [ComponentValue], limits: ExecutionLimits = .default, session: (any CallSession)? = nil) throws -> [ComponentValue] {
        let export = try checkedExport(name, arguments)
        return try run(export, arguments, name: name, in: try makeInstance(limits: limits, session: session, control: nil),
                       reuse: nil, control: nil)
    }

    /// A new instance under `limits`; instantiation failures (e.g. a start function out of
    /// fuel, an initial memory over the cap) are mapped like call failures.
    private func makeInstance(limits: ExecutionLimits, session: (any CallSession)?, control: CallControl?) throws -> ComponentInstance {
        let limiter = MemoryCapLimiter(maxBytes: limits.maxMemoryBytes)
        do {
            return try ComponentInstance(plan: plan, engine: engine, limits: limits, limiter: limiter, session: session,
                                         control: control)
        } catch {
            throw ErrorMapping.map(error, limiter: limiter, fuelLeft: nil)
        }
    }

    /// Whether calls reuse reset instances (every core module could be given state exports).
    @_spi(Benchmark)
    public var reusesInstances: Bool { pool != nil }

    /// Idle reusable instances right now.
    @_spi(Benchmark)
    public var idleInstanceCount: Int { pool?.idleCount ?? 0 }

    /// Runs one call; after a normal return, resets `reuse` and gives it back to the pool. Any
    /// failure (trap, out of fuel, host error) drops the instance: its state is undefined.
    /// `control` is detached before the instance can serve another call, so its watchdog never
    /// touches a store that a later call uses.
    /// Takes the boxed export, not its `LiftedFunction`: passing the struct out of the box copied
    /// it (a retain and a release of each of its references) on every call.
    private func run(_ export: LiftedExport, _ arguments: [ComponentValue], name: String, in instance: ComponentInstance,
                     reuse: WarmInstance?, control: CallControl?) throws -> [ComponentValue] {
        let results: [ComponentValue]
        do {
            results = try instance.call(export.lifted, arguments, name: name)
        } catch {
            throw ErrorMapping.map(error, limiter: instance.limiter, fuelLeft: instance.store.fuel?.remaining)
        }
        control?.detach()
        if let reuse, let pool, reuse.reset() { pool.put(reuse) }
        return results
    }

    /// Instantiates the component once for several calls that share guest state (memory,
    /// globals, handle table), e.g. to construct an exported resource and then call its
    /// methods. Fuel and memory limits cover all calls of the session together.
    public func instantiate(limits: ExecutionLimits = .default, session: (any CallSession)? = nil) throws -> ComponentSession {
        ComponentSession(component: self, instance: try makeInstance(limits: limits, session: session, control: nil))
    }

    /// The export `name`, after checking the arguments against its WIT parameters.
    func checkedExport(_ name: String, _ arguments: [ComponentValue]) throws -> LiftedExport {
        guard let export = liftedExports[name] else { throw ComponentError.noSuchExport(name) }
        let params = export.lifted.type.params
        guard arguments.count == params.count else {
            throw ComponentError.badArguments("\(name) expects \(params.count) argument\(params.count == 1 ? "" : "s"), got \(arguments.count)")
        }
        for (index, (argument, layout)) in zip(arguments, export.lifted.layout.params).enumerated() where !argument.matches(layout) {
            let param = params[index]
            let label = param.name.isEmpty ? "#\(index + 1)" : "'\(param.name)'"
            let shown = param.type.renamingResources(plan.resourceDisplayNames)
            throw ComponentError.badArguments("parameter \(label) of \(name): expected \(shown)")
        }
        return export
    }
}

/// One export's lifted function, boxed (see `Component.liftedExports`).
final class LiftedExport: Sendable {
    let lifted: LiftedFunction

    init(_ lifted: LiftedFunction) {
        self.lifted = lifted
    }
}
