import Foundation
import Synchronization
import WasmKit

/// The wall-clock limit of one call, and a way to stop the call from another thread.
///
/// WasmKit 0.4.2 cannot interrupt a running call, and running out of fuel unwinds the guest (it
/// cannot be resumed after refuelling), so a call is stopped through its fuel: while guest code
/// runs, `CallWatchdog` sets the budget of a call whose deadline has passed (or that `stop` was
/// asked of) to zero, and the guest traps at its next fuel charge — the top of the next loop
/// iteration or function — within microseconds. Host calls check the same state before and after
/// they run (`HostCallContext.checkStop`), so a call waiting in a host operation fails as soon as
/// that returns; a host operation that waits (HTTPS egress) bounds its wait by `remainingTime`.
/// The call then fails with `ComponentError.timeLimit` or `.stopped` instead of `out of fuel`.
///
/// Create one per call, just before it starts; the deadline runs from `init`.
public final class CallControl: @unchecked Sendable {
    // @unchecked: `stopReason` and `store` are read and written only under `lock`. The one
    // access to the store from another thread is `zeroFuel` (see there).

    /// The limit this control enforces; nil: no time limit (the call can still be stopped).
    public let timeLimit: Duration?
    /// When the time limit runs out.
    public let deadline: ContinuousClock.Instant?

    private let lock = NSLock()
    private var stopReason: ComponentError? {
        didSet { if stopReason != nil { stopSet.store(true, ordering: .releasing) } }
    }
    /// Set (for good) once `stopReason` is: `check` reads it without the lock. A call checks
    /// before and after every host import, and the lock made each check cost about twice
    /// what the clock read does.
    private let stopSet = Atomic<Bool>(false)
    /// The store of the instance running the call's guest code, while it runs.
    private var store: Store?
    /// How often the watchdog has zeroed the budget since the call was stopped (sets its pace).
    private var zeroings = 0
    /// The fuel left in the store when the guest code last returned or failed.
    private var recordedFuelLeft: UInt64?

    /// Starts the clock of a call limited to `timeLimit` (nil: unlimited, stoppable).
    public init(timeLimit: Duration? = nil) {
        self.timeLimit = timeLimit
        self.deadline = timeLimit.map { ContinuousClock.now + $0 }
    }

    /// Stops the call: its guest code traps at its next fuel charge and its next host call
    /// fails, and the call fails with `stopped: <reason>`. Safe from any thread, at any time;
    /// the first reason (a time limit or an earlier stop) is kept.
    public func stop(reason: String) {
        let attached = lock.withLock { () -> Bool in
            if stopReason == nil { stopReason = .stopped(reason) }
            return store != nil
        }
        if attached { CallWatchdog.shared.wake() }
    }

    /// Why the call must stop, if it must: stopped, or past its deadline.
    public var stopError: ComponentError? {
        lock.withLock { currentStop(at: .now) }
    }

    /// Throws the stop error, if the call must stop.
    public func check() throws(ComponentError) {
        // Without a stop reason and before the deadline there is nothing to throw, whatever a
        // stop racing with this check does (the check then counts as made before it). Only a
        // reason, or a deadline passed, needs the lock (which records the reason).
        if !stopSet.load(ordering: .acquiring), deadline.map({ ContinuousClock.now < $0 }) ?? true { return }
        if let error = stopError { throw error }
    }

    /// Time left before the deadline (zero once passed); nil without a time limit.
    public var remainingTime: Duration? {
        deadline.map { max(.zero, $0 - .now) }
    }

    private func currentStop(at now: ContinuousClock.Instant) -> ComponentError? {
        if let stopReason { return stopReason }
        if let deadline, let timeLimit, now >= deadline {
            stopReason = .timeLimit(timeLimit)
            return stopReason
        }
        return nil
    }

    // MARK: - Guest execution (Component.call)

    /// The guest code of the call now runs in `store`'s instance: the watchdog may zero its
    /// budget from now on. Replaces an earlier store (a call that had to re-instantiate).
    func attach(_ store: Store) {
        let stopped = lock.withLock { () -> Bool in
            self.store = store
            return stopReason != nil
        }
        CallWatchdog.shared.watch(self)
        // A stop that came before the store was attached did not wake the watchdog (`stop`).
        if stopped { CallWatchdog.shared.wake() }
    }

    /// The guest code has returned: once this returns, no other thread touches the store.
    func detach() {
        // First out of the watchdog's set (which holds its lock while it zeroes), then forget the
        // store: the watchdog takes the watchdog lock before this one, never the other way round.
        CallWatchdog.shared.unwatch(self)
        lock.withLock {
            if let store { recordedFuelLeft = store.fuel?.remaining }
            store = nil
        }
    }

    /// The fuel the call's instance had left when its guest code returned or failed (what it
    /// used is its budget minus this); nil before that. After a stop or a time limit the
    /// server has zeroed it, so it says nothing about the guest then.
    public var fuelLeft: UInt64? {
        lock.withLock { recordedFuelLeft }
    }

    /// For the watchdog: zeroes the budget if the call must stop and still runs guest code.
    /// - Returns: nil when nothing is due; otherwise when to zero it again, because the
    ///   interpreter may have written its own charge over ours (see `zeroFuel`).
    func enforce(at now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        lock.withLock {
            guard let store, currentStop(at: now) != nil else { return nil }
            Self.zeroFuel(store)
            zeroings += 1
            // 1 ms, doubling up to 100 ms: a guest in a loop traps at once; one waiting in a host
            // call (which fails when it returns) costs the watchdog at most 10 wake-ups a second.
            return now + .microseconds(min(100_000, 1_000 << min(zeroings - 1, 7)))
        }
    }

    /// Sets `store`'s fuel to zero from a thread other than the one running its guest code.
    ///
    /// This is a deliberate, bounded race with the interpreter, the only way to stop a running
    /// call in WasmKit 0.4.2: the budget is one aligned 64-bit word that the interpreter loads,
    /// decrements and stores at every region charge, and a store of zero to it here is a single
    /// machine store (x86-64 and AArch64 never tear an aligned 64-bit store). Nothing else in the
    /// store is written (the setter's `hasFuel` is already true: every instance gets a budget).
    /// The one thing that can go wrong is that the interpreter stores its decremented value over
    /// our zero between its load and its store; the watchdog therefore zeroes again until the call
    /// returns (`enforce`'s next time). The write happens under `lock`, and `detach` takes that
    /// lock before the calling thread touches the store again, so after a call nothing races.
    private static func zeroFuel(_ store: Store) {
        store.fuel = Fuel(remaining: 0)
    }
}

extension ComponentError {
    /// Whether this error is one a `CallControl` produces (the call was stopped, not failed).
    var isStop: Bool {
        switch self {
        case .timeLimit, .stopped: return true
        default: return false
        }
    }
}
