import Components
import Dispatch
import NIOCore
import NIOPosix

/// Runs component calls on threads, at most `limits.slots` at once, shared fairly between apps
/// (`FairCallQueue`); each call runs under a `CallControl` holding its time limit.
///
/// Threads: one per slot plus one per call allowed to wait in a host operation without its slot
/// (`limits.maxBlocked`), so a call that gives its slot back (`whileBlocked`) never keeps another
/// from finding a thread.
final class CallScheduler: Sendable {
    let limits: CallSchedulingLimits
    private let threads: NIOThreadPool
    private let state: Locked<State>

    /// Which scheduler and app the calling thread runs a call for (nil outside calls).
    private static let current = ThreadSpecificVariable<Ticket>()

    private final class Ticket: Sendable {
        let scheduler: CallScheduler
        let app: String
        init(_ scheduler: CallScheduler, _ app: String) {
            self.scheduler = scheduler
            self.app = app
        }
    }

    /// What waits for a slot: how to start it, and how to refuse it if the server stops first.
    private struct Entry: Sendable {
        let start: @Sendable () -> Void
        let refuse: @Sendable (String) -> Void
    }

    private struct State {
        var queue: FairCallQueue<Entry>
        /// The controls of the calls running now, so that `stopAll` can stop them.
        var active: [ObjectIdentifier: CallControl] = [:]
        /// Set by `stopAll`: new calls are refused with it.
        var stopReason: String?
    }

    init(limits: CallSchedulingLimits) {
        self.limits = limits
        self.state = Locked(State(queue: FairCallQueue(limits: limits)))
        threads = NIOThreadPool(numberOfThreads: limits.slots + limits.maxBlocked)
        threads.start()
    }

    /// Queues a call of `app`; once granted a slot, `body` runs on a call thread with a new
    /// `CallControl` of `timeLimit` (its clock starts then). The future completes on `eventLoop`
    /// with `body`'s value, or fails with `CallSchedulerError.stopped` if the server stops first.
    func submit<T: Sendable>(app: String, timeLimit: Duration?, on eventLoop: EventLoop,
                             _ body: @escaping @Sendable (CallControl) -> T) -> EventLoopFuture<T> {
        let promise = eventLoop.makePromise(of: T.self)
        let entry = Entry(
            start: { [self] in
                threads.submit { poolState in
                    guard poolState == .active else {
                        self.finish(app: app)
                        promise.fail(CallSchedulerError.stopped("the call threads have stopped"))
                        return
                    }
                    promise.succeed(self.run(app: app, timeLimit: timeLimit, body))
                }
            },
            refuse: { reason in promise.fail(CallSchedulerError.stopped(reason)) })
        let (granted, refusal) = state.withLock { state -> ([Entry], String?) in
            if let reason = state.stopReason { return ([], reason) }
            state.queue.enqueue(entry, app: app)
            return (state.queue.grant(), nil)
        }
        if let refusal { entry.refuse(refusal) }
        granted.forEach { $0.start() }
        return promise.futureResult
    }

    private func run<T>(app: String, timeLimit: Duration?, _ body: (CallControl) -> T) -> T {
        let control = CallControl(timeLimit: timeLimit)
        let id = ObjectIdentifier(control)
        let stopReason = state.withLock { state -> String? in
            state.active[id] = control
            return state.stopReason
        }
        if let stopReason { control.stop(reason: stopReason) }
        Self.current.currentValue = Ticket(self, app)
        defer {
            Self.current.currentValue = nil
            state.withLock { _ = $0.active.removeValue(forKey: id) }
            finish(app: app)
        }
        return body(control)
    }

    private func finish(app: String) {
        let granted = state.withLock { state -> [Entry] in
            state.queue.finish(app: app)
            return state.queue.grant()
        }
        granted.forEach { $0.start() }
    }

    /// Runs `body`, a host operation that waits (a network request), from inside a call: the
    /// call gives its slot to another while it waits, within the blocked caps, and waits its turn
    /// for a slot again afterwards. Outside a scheduled call (tests, loads) it just runs `body`.
    static func whileBlocked<T>(_ body: () throws -> T) rethrows -> T {
        guard let ticket = current.currentValue else { return try body() }
        let scheduler = ticket.scheduler
        let released = scheduler.state.withLock { state -> [Entry]? in
            guard state.queue.releaseSlot(app: ticket.app) else { return nil }
            return state.queue.grant()
        }
        guard let granted = released else { return try body() }
        granted.forEach { $0.start() }
        defer { scheduler.reacquire(app: ticket.app) }
        return try body()
    }

    /// Waits until the call of `app` on this thread holds a slot again.
    private func reacquire(app: String) {
        let semaphore = DispatchSemaphore(value: 0)
        let resumer = Entry(start: { semaphore.signal() }, refuse: { _ in semaphore.signal() })
        let granted = state.withLock { state -> [Entry] in
            state.queue.enqueueResumer(resumer, app: app)
            return state.queue.grant()
        }
        granted.forEach { $0.start() }
        semaphore.wait()
    }

    /// The server stops: waiting calls are refused with `reason`, running ones are stopped
    /// (`CallControl.stop`: guest code traps at its next fuel charge, host waits end), and later
    /// submissions are refused.
    func stopAll(reason: String) {
        let (refused, running) = state.withLock { state -> ([Entry], [CallControl]) in
            if state.stopReason == nil { state.stopReason = reason }
            return (state.queue.removeWaitingCalls(), Array(state.active.values))
        }
        refused.forEach { $0.refuse(reason) }
        running.forEach { $0.stop(reason: reason) }
    }

    /// Slots held, calls waiting for one, calls waiting in host operations without one.
    var usage: (running: Int, waiting: Int, blocked: Int) {
        state.withLock { ($0.queue.running, $0.queue.waitingCount, $0.queue.blocked) }
    }

    /// Stops the threads once the work already submitted has run.
    func shutdown() async {
        try? await threads.shutdownGracefully()
    }
}

/// Why a scheduled call did not run.
enum CallSchedulerError: Error, CustomStringConvertible {
    /// The server stopped before the call got a slot.
    case stopped(String)

    var description: String {
        switch self {
        case .stopped(let reason): return reason
        }
    }
}
