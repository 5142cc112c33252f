// The public surface of the component layer that the server builds on.
// Keep these signatures stable; the implementation behind them grows.

/// Limits applied to one call of a component function, across all of its core instances.
public struct ExecutionLimits: Sendable, Hashable {
    /// Fuel units; one per executed operator, as wasmtime charges.
    public var fuel: UInt64
    /// Cap on linear memory, in bytes: on each memory, and on all memories of the instance
    /// together, nested component instances included (`MemoryCapLimiter` says how the total is
    /// kept when WasmKit does not say which memory grows).
    public var maxMemoryBytes: Int
    /// Cap on the host memory that values lifted out of the guest in one step may take: the
    /// call's result, and separately the arguments of each host-import call the guest makes.
    /// Counted as the bytes of strings and byte lists plus a fixed cost per element of every
    /// other list (its value's boxed storage); a result over it fails the call with
    /// `result of at least N bytes exceeds the per-call limit of M bytes …`.
    public var maxResultBytes: Int
    /// Wall-clock limit of one call, instantiation, guest code and host calls together; nil:
    /// none. A call past it fails with `time limit (N s)` (see `CallControl`). A caller that
    /// passes its own `CallControl` to `Component.call` sets the limit there instead.
    public var timeLimit: Duration?

    public init(fuel: UInt64 = 10_000_000, maxMemoryBytes: Int = 64 << 20, maxResultBytes: Int = 64 << 20,
                timeLimit: Duration? = nil) {
        self.fuel = fuel
        self.maxMemoryBytes = maxMemoryBytes
        self.maxResultBytes = maxResultBytes
        self.timeLimit = timeLimit
    }

    /// 10,000,000 fuel, 64 MiB of linear memory, results of up to 64 MiB on the host, no time limit.
    public static let `default` = ExecutionLimits()
}

/// A function exported by a component, root-level (`name`) or inside an exported interface
/// (`interface/name`).
public struct ExportedFunction: Sendable, Hashable {
    /// The name clients call it by.
    public var name: String
    /// Its WIT signature.
    public var type: WITFunctionType
    /// Documentation from the component's WIT docs custom section, if present.
    public var docs: String?

    public init(name: String, type: WITFunctionType, docs: String? = nil) {
        self.name = name
        self.type = type
        self.docs = docs
    }
}

/// How a component is prepared at load.
public struct LoadOptions: Sendable, Hashable {
    /// Whether a call may run in an earlier call's instance reset to its post-instantiation
    /// snapshot (see `Component.call`). False instantiates afresh for every call, so start
    /// functions and constructors run again each time (they draw new randomness, read the
    /// clock and the filesystem anew) at the cost of an instantiation per call.
    public var reuseInstances: Bool
    /// The limits the trial instantiation at load runs under (its start functions and
    /// constructors included); use the limits the app's calls will have.
    public var trialLimits: ExecutionLimits
    /// Reused instances' memories of at least this many bytes are reset through a
    /// copy-on-write mapping, smaller ones by comparing and copying. Internal: tests force one
    /// strategy or the other on the same guest.
    var copyOnWriteMinimumBytes = InstanceSnapshot.copyOnWriteMinimumBytes

    public init(reuseInstances: Bool = true, trialLimits: ExecutionLimits = .default) {
        self.reuseInstances = reuseInstances
        self.trialLimits = trialLimits
    }
}
