import WasmKit

/// What a host function (or a host resource destructor) can see of the call it serves.
///
/// One context exists per component call (a reused instance gets a new one for each call) and
/// is passed to every host function that call reaches. It is used from the calling thread
/// only; do not keep it after the host function returns (it is detached when the call ends).
public final class HostCallContext {
    /// The session the caller passed to `Component.call(_:_:limits:session:control:)`, for
    /// per-call host state such as open files, streams or an output buffer. Host functions get
    /// it typed through `HostFunction(session:missing:_:)`.
    public let session: (any CallSession)?

    /// The instance this call runs in. Weak: the instance owns the context, not the reverse.
    weak var instance: ComponentInstance?

    /// The call's time limit and stop signal; nil: neither. A host function that blocks hands
    /// it to whatever waits, so the wait ends when the call must stop.
    public let control: CallControl?

    /// A context outside any instance (fuel and handle queries answer nil / empty, charges are
    /// free): for calling host functions directly, e.g. in unit tests of a host interface.
    public init(session: (any CallSession)? = nil) {
        self.session = session
        self.control = nil
    }

    init(session: (any CallSession)?, control: CallControl?) {
        self.session = session
        self.control = control
    }

    /// Fuel the call has left, or nil when it is not metered.
    public var remainingFuel: UInt64? {
        instance?.store.fuel?.remaining
    }

    /// Time left before the call's deadline; nil when it has none. A host function that waits
    /// (a network request) waits at most this long.
    public var remainingTime: Duration? {
        control?.remainingTime
    }

    /// Throws `ComponentError.timeLimit` or `.stopped` when the call must stop; a host function
    /// that works in steps can call it between them.
    public func checkStop() throws(ComponentError) {
        try control?.check()
    }

    /// Charges the call fuel for `bytes` of host work that its values do not show (see
    /// `HostWorkFuel`); throws `ComponentError.outOfFuel` when the budget cannot pay, leaving
    /// the budget at zero.
    public func chargeHostWork(bytes: Int) throws(ComponentError) {
        try chargeFuel(HostWorkFuel.units(forBytes: bytes))
    }

    /// Takes `units` from the call's fuel (nothing outside an instance or unmetered).
    func chargeFuel(_ units: UInt64) throws(ComponentError) {
        try instance?.chargeFuel(units)
    }

    /// The `rep`s of every live handle of `resource` (full name, e.g.
    /// `wasi:filesystem/types@0.2.0#descriptor`) in the guest's handle table, in handle order.
    /// Owned and borrowed handles both count; a rep lent several times appears once per handle.
    public func liveReps(of resource: String) -> [UInt32] {
        instance?.currentHandles.liveReps(of: resource) ?? []
    }

    /// The number of live handles of every resource type in the guest's handle table.
    public var liveHandleCount: Int {
        instance?.currentHandles.liveCount ?? 0
    }
}
