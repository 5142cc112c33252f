/// One instance of a component kept for several calls: guest memory, globals and the handle
/// table persist between them. Not thread-safe: use from one thread at a time.
///
/// The server uses `Component.call` (a fresh instance per call); sessions serve hosts that need
/// a resource's lifetime to span calls, and tests. After a call fails (a trap, out of fuel) the
/// instance is in an undefined state and every further call fails.
public final class ComponentSession {
    /// The component this session instantiates.
    public let component: Component
    private let instance: ComponentInstance
    private var poisoned: ComponentError?

    init(component: Component, instance: ComponentInstance) {
        self.component = component
        self.instance = instance
    }

    /// Calls an export in this session's instance (see `Component.call` for how values and
    /// handles cross).
    public func call(_ name: String, _ arguments: [ComponentValue]) throws -> [ComponentValue] {
        if let poisoned { throw ComponentError.trap("instance unusable after an earlier failure: \(poisoned)") }
        let export = try component.checkedExport(name, arguments)
        do {
            return try instance.call(export.lifted, arguments, name: name)
        } catch {
            let mapped = ErrorMapping.map(error, limiter: instance.limiter, fuelLeft: instance.store.fuel?.remaining)
            poisoned = mapped
            throw mapped
        }
    }

    /// Fuel left for the rest of the session.
    public var remainingFuel: UInt64? { instance.store.fuel?.remaining }

    /// Destroys a resource the component defines that an earlier call returned as `own<R>`
    /// (`rep` is the returned `.handle` value), by running the component's destructor: the
    /// host-side `resource.drop`. `resource` is the name `exports` shows, e.g. `my:pkg/iface#acc`.
    public func dropOwned(resource: String, rep: UInt32) throws {
        if let poisoned { throw ComponentError.trap("instance unusable after an earlier failure: \(poisoned)") }
        let plan = instance.plan
        let key = plan.resourceDisplayNames.first { $0.value == resource }?.key ?? resource
        guard case .guest(let destructor, _) = plan.resources[key] else {
            throw ComponentError.badArguments("\(resource) is not a resource type this component defines")
        }
        guard let destructor else { return }
        do {
            try instance.stacks.invoke(instance.function(destructor), [.i32(rep)])
        } catch {
            let mapped = ErrorMapping.map(error, limiter: instance.limiter, fuelLeft: instance.store.fuel?.remaining)
            poisoned = mapped
            throw mapped
        }
    }
}
