/// What a host function (or a host resource destructor) can see of the call it serves.
///
/// One context exists per component call (a reused instance gets a new one for each call) and
/// is passed to every host function that call reaches. It is used from the calling thread
/// only; do not keep it after the host function returns (it is detached when the call ends).
public final class HostCallContext {
    /// The object the caller passed to `Component.call(_:_:limits:session:)`, for per-call host
    /// state such as open files, streams or an output buffer.
    public let session: AnyObject?

    /// The instance this call runs in. Weak: the instance owns the context, not the reverse.
    weak var instance: ComponentInstance?

    /// A context outside any instance (fuel and handle queries answer nil / empty): for calling
    /// host functions directly, e.g. in unit tests of a host interface.
    public init(session: AnyObject? = nil) {
        self.session = session
    }

    /// Fuel the call has left, or nil when it is not metered.
    public var remainingFuel: UInt64? {
        instance?.store.fuel?.remaining
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
