import Components
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix

/// Runs component calls on threads, at most `limits.slots` at once, shared fairly between apps
/// (`FairCallQueue`); each call runs under a `CallControl` holding its time limit.
///
/// A call submitted from its event loop runs right there, without the hop to a call thread and
/// back, when the scheduler would grant it a slot at once anyway and its export has a record of
/// short calls (`InlineCallHistory`); it holds a slot like any other call while it runs. A call of
/// such an export that had to wait is started, in its turn, on its event loop as well (one hop).
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
        let export: InlineCallHistory.Export
        /// Running on an event loop: it keeps its slot (and the loop) while a host operation waits.
        let inline: Bool
        var app: String { export.app }
        init(_ scheduler: CallScheduler, _ export: InlineCallHistory.Export, inline: Bool) {
            self.scheduler = scheduler
            self.export = export
            self.inline = inline
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
        /// Which exports may run on the event loop.
        var inlineHistory: InlineCallHistory
        /// Calls run on their event loop so far.
        var inlineRuns = 0
    }

    init(limits: CallSchedulingLimits) {
        self.limits = limits
        self.state = Locked(State(queue: FairCallQueue(limits: limits),
                                  inlineHistory: InlineCallHistory(shortRun: limits.inlineCallLimit)))
        threads = NIOThreadPool(numberOfThreads: limits.slots + limits.maxBlocked)
        threads.start()
    }

    /// Queues a call of `function` of `app`; once granted a slot, `body` runs on a call thread
    /// (or inline, see the type's documentation) with a new `CallControl` of `timeLimit` (its
    /// clock starts then). The future completes on `eventLoop` with `body`'s value, or fails with
    /// `CallSchedulerError.stopped` if the server stops first. `mayRunInline`: whether the call's
    /// limits allow the inline path at all (`CallLimits.mayRunInline`).
    func submit<T: Sendable>(app: String, function: String, mayRunInline: Bool, timeLimit: Duration?, on eventLoop: EventLoop,
                             _ body: @escaping @Sendable (CallControl) -> T) -> EventLoopFuture<T> {
        if let value = runInline(app: app, function: function, mayRunInline: mayRunInline, timeLimit: timeLimit,
                                 on: eventLoop, body) {
            return eventLoop.makeSucceededFuture(value)
        }
        let export = InlineCallHistory.Export(app: app, function: function)
        let promise = eventLoop.makePromise(of: T.self)
        let entry = Entry(
            start: { [self] in
                // A call that waited its turn runs on its loop too when its export may: under
                // load the queue rarely empties, and each call would otherwise hop twice.
                if mayRunInline, state.withLock({ $0.inlineHistory.mayInline(export) }) {
                    eventLoop.execute {
                        promise.succeed(self.run(export, inline: true, timeLimit: timeLimit, body))
                    }
                    return
                }
                threads.submit { poolState in
                    guard poolState == .active else {
                        self.finish(export, run: nil, inline: false)
                        promise.fail(CallSchedulerError.stopped("the call threads have stopped"))
                        return
                    }
                    promise.succeed(self.run(export, inline: false, timeLimit: timeLimit, body))
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

    /// Runs a call of `function` of `app` right here, on `eventLoop`, when it may run inline now
    /// (the caller runs on that loop, the export's record allows it and the queue would grant a
    /// slot at once), and returns `body`'s value; nil, without running it: `submit` it instead.
    /// `mayRunInline`: whether the call's limits allow the inline path at all (`CallLimits.mayRunInline`).
    func runInline<T>(app: String, function: String, mayRunInline: Bool, timeLimit: Duration?, on eventLoop: EventLoop,
                      _ body: (CallControl) -> T) -> T? {
        let export = InlineCallHistory.Export(app: app, function: function)
        guard eventLoop.inEventLoop, mayRunInline, claimInline(export) else { return nil }
        return run(export, inline: true, timeLimit: timeLimit, body)
    }

    /// Takes a slot for an inline call of `export` if its record allows and the queue would
    /// grant one at once.
    private func claimInline(_ export: InlineCallHistory.Export) -> Bool {
        state.withLock { state in
            guard state.stopReason == nil, state.inlineHistory.mayInline(export),
                  state.queue.claimImmediately(app: export.app) else { return false }
            return true
        }
    }

    /// Runs a granted call; it holds its slot until `finish`.
    private func run<T>(_ export: InlineCallHistory.Export, inline: Bool, timeLimit: Duration?, _ body: (CallControl) -> T) -> T {
        let control = CallControl(timeLimit: timeLimit)
        let id = ObjectIdentifier(control)
        let stopReason = state.withLock { state -> String? in
            state.active[id] = control
            if inline { state.inlineRuns += 1 }
            return state.stopReason
        }
        if let stopReason { control.stop(reason: stopReason) }
        let outer = Self.current.currentValue
        Self.current.currentValue = Ticket(self, export, inline: inline)
        let started = ContinuousClock.now, startedCPU = ThreadUsage.cpuTime(), startedWaits = ThreadUsage.waits()
        defer {
            Self.current.currentValue = outer
            let cpu = ThreadUsage.cpuTime() - startedCPU, elapsed = ContinuousClock.now - started
            // Whether the call waited matters only when its time off the core could make it
            // count as long (`InlineCallHistory`); the second getrusage is saved otherwise.
            let waited = elapsed - cpu > limits.inlineCallLimit && ThreadUsage.waits() != startedWaits
            finish(export, run: InlineCallHistory.Run(cpu: cpu, elapsed: elapsed, waited: waited), inline: inline, active: id)
        }
        return body(control)
    }

    /// A granted call ended (`run` nil: it never ran): frees its slot, records its times.
    private func finish(_ export: InlineCallHistory.Export, run: InlineCallHistory.Run?, inline: Bool,
                        active id: ObjectIdentifier? = nil) {
        let granted = state.withLock { state -> [Entry] in
            if let id { state.active.removeValue(forKey: id) }
            if let run { state.inlineHistory.record(export, run, inline: inline) }
            state.queue.finish(app: export.app)
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
            // A call that waits for the network must not run on an event loop again; one that
            // does now keeps its slot (giving it away would not free the loop).
            state.inlineHistory.bar(ticket.export)
            guard !ticket.inline, state.queue.releaseSlot(app: ticket.app) else { return nil }
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

    /// Calls that ran on their event loop so far.
    var inlineRuns: Int { state.withLock { $0.inlineRuns } }

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
