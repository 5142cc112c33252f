import Foundation
import Synchronization
import WasmKit

// "A fresh instance per call" without paying for instantiation on every call: WasmKit validates
// and translates code per instance (~0.1–1.5 ms for real guests), so a component keeps a few
// used instances and resets them to their post-instantiation snapshot after each call. Reuse is
// only allowed when the reset is exact (see `InstanceSnapshot`); otherwise the instance is
// dropped and the next call builds a new one, exactly as before.

/// A component instance that can serve several calls one after another, each observing the
/// state of a freshly instantiated one. Owned by one thread at a time (the pool hands it out).
final class WarmInstance: @unchecked Sendable {
    // @unchecked: it holds a WasmKit instance and store, which are not `Sendable`. It is only
    // ever reachable from one thread at a time: the thread that built it, or the one that took
    // it from `InstancePool` (under the pool's lock) and runs its call; that thread gives it
    // back with `put` (under the same lock) after its last access, so the lock orders every
    // access by one thread before every access by the next.
    let instance: ComponentInstance
    private let snapshot: InstanceSnapshot
    /// Fuel that instantiation itself (start functions) used; a fresh instance's call starts
    /// with this much less than the budget, so a reused one does too.
    private let startupFuel: UInt64
    /// The memory cap instantiation ran under, and whether it refused a `memory.grow`.
    private let startupCap: Int
    private let startupRefused: Bool

    /// What became of a just-instantiated instance offered for reuse.
    enum Offer {
        case warm(WarmInstance)
        /// Its state cannot be restored exactly: it serves its call and is dropped.
        case notReusable
        /// Preparing it for reuse left its memory unusable: it must not run.
        case damaged
    }

    /// Wraps a just-instantiated `instance` (no call has run in it yet) built with `limits`.
    /// An instance whose instantiation left the guest holding handles (e.g. wasi-libc's
    /// preopened directories) is not reusable: those name resources of the session that
    /// instantiated it, which ends with its call; a later call must instantiate afresh with its
    /// own session.
    static func offer(_ instance: ComponentInstance, limits: ExecutionLimits,
                      copyOnWriteMinimumBytes: Int = InstanceSnapshot.copyOnWriteMinimumBytes) -> Offer {
        guard instance.liveHandleCount == 0 else { return .notReusable }
        switch InstanceSnapshot.capture(instance, copyOnWriteMinimumBytes: copyOnWriteMinimumBytes) {
        case .snapshot(let snapshot): return .warm(WarmInstance(instance, snapshot: snapshot, limits: limits))
        case .notReusable: return .notReusable
        case .damaged: return .damaged
        }
    }

    private init(_ instance: ComponentInstance, snapshot: InstanceSnapshot, limits: ExecutionLimits) {
        self.instance = instance
        self.snapshot = snapshot
        startupFuel = limits.fuel - min(limits.fuel, instance.store.fuel?.remaining ?? limits.fuel)
        startupCap = limits.maxMemoryBytes
        startupRefused = instance.limiter.refused
        instance.limiter.reset(maxBytes: limits.maxMemoryBytes, refused: startupRefused)
    }

    /// Readies the instance for a call under `limits`: fuel, memory cap, a new context for
    /// `session` and `control`, an empty handle table. Returns false when a fresh instance would behave
    /// differently under these limits (instantiation would run out of fuel, or the memory cap
    /// would refuse or allow something it did not at instantiation); the caller then drops it.
    func prepare(limits: ExecutionLimits, session: (any CallSession)?, control: CallControl?) -> Bool {
        guard limits.fuel >= startupFuel else { return false }
        if limits.maxMemoryBytes != startupCap {
            guard !startupRefused, max(snapshot.largestMemoryBytes, instance.limiter.trackedBytes) <= limits.maxMemoryBytes else { return false }
        }
        instance.store.fuel = Fuel(remaining: limits.fuel - startupFuel)
        instance.maxResultBytes = limits.maxResultBytes
        instance.limiter.reset(maxBytes: limits.maxMemoryBytes, refused: startupRefused)
        instance.beginCall(session: session, control: control)
        return true
    }

    /// After a call that returned normally (results lifted, post-return run): puts the
    /// snapshot back. Returns false when that cannot be exact; the instance must then be dropped.
    func reset() -> Bool {
        instance.endCall()
        return snapshot.restore(limiter: instance.limiter)
    }

    /// The linear memory this instance holds (the sum of its memories' sizes).
    var memoryBytes: Int { snapshot.totalMemoryBytes }
}

/// A bounded, thread-safe stack of idle warm instances of one component.
final class InstancePool: Sendable {
    /// Idle instances kept at most: enough for every core of the machine to run a call with
    /// one spare each; more concurrent calls build extra instances that are dropped afterwards.
    static let defaultCapacity = max(2, 2 * ProcessInfo.processInfo.activeProcessorCount)

    /// Linear memory the idle instances of one component may hold together (each keeps its
    /// memories and their images), so an app with a large memory keeps fewer of them: a 12 MiB
    /// CPython keeps all `defaultCapacity`, a 64 MiB app two. One instance is always kept.
    static let defaultMaxIdleMemoryBytes = 128 << 20

    let capacity: Int
    let maxIdleMemoryBytes: Int
    /// Memories of at least this many bytes are reset through a copy-on-write mapping.
    let copyOnWriteMinimumBytes: Int
    private struct Idle {
        var instances: [WarmInstance] = []
        var memoryBytes = 0
    }
    private let idle = Mutex(Idle())

    init(capacity: Int = InstancePool.defaultCapacity, maxIdleMemoryBytes: Int = InstancePool.defaultMaxIdleMemoryBytes,
         copyOnWriteMinimumBytes: Int = InstanceSnapshot.copyOnWriteMinimumBytes) {
        self.capacity = capacity
        self.maxIdleMemoryBytes = maxIdleMemoryBytes
        self.copyOnWriteMinimumBytes = copyOnWriteMinimumBytes
    }

    /// An idle instance, most recently used first (its memory is likeliest still in cache).
    func take() -> WarmInstance? {
        idle.withLock { idle in
            guard let instance = idle.instances.popLast() else { return nil }
            idle.memoryBytes -= instance.memoryBytes
            return instance
        }
    }

    /// Returns an instance after a successful reset; dropped if the pool is full.
    func put(_ instance: WarmInstance) {
        let capacity = capacity, maxIdleMemoryBytes = maxIdleMemoryBytes
        idle.withLock { idle in
            guard Self.keeps(idleCount: idle.instances.count, idleMemoryBytes: idle.memoryBytes, adding: instance.memoryBytes,
                             capacity: capacity, maxIdleMemoryBytes: maxIdleMemoryBytes) else { return }
            idle.instances.append(instance)
            idle.memoryBytes += instance.memoryBytes
        }
    }

    /// Whether a pool holding `idleCount` instances of `idleMemoryBytes` keeps one more of
    /// `adding` bytes.
    static func keeps(idleCount: Int, idleMemoryBytes: Int, adding: Int, capacity: Int, maxIdleMemoryBytes: Int) -> Bool {
        guard idleCount < capacity else { return false }
        return idleCount == 0 || idleMemoryBytes + adding <= maxIdleMemoryBytes
    }

    /// Idle instances right now (for tests and benchmarks).
    var idleCount: Int {
        idle.withLock { $0.instances.count }
    }
}
