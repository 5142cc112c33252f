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
/// short calls (`InlineCallHistory`); it holds a slot like any other call while it runs.
///
/// The thread that frees a slot runs the call the queue grants it next itself (`Place`) — a call
/// thread any call, an event loop a call whose export may run inline, up to
/// `maxQueuedRunsPerTurn` in a row before its own I/O goes first — and only what it cannot run
/// hops to another thread (holding its slot on the way, as a granted call must). Before, every
/// granted call hopped to its connection's loop holding its slot; with many connections the loops
/// then waited on each other's wake-ups with the app's share of slots held by calls in transit.
///
/// Threads: one per slot plus one per call allowed to wait in a host operation without its slot
/// (`limits.maxBlocked`), so a call that gives its slot back (`whileBlocked`) never keeps another
/// from finding a thread.
final class CallScheduler: Sendable {
    let limits: CallSchedulingLimits
    private let threads: NIOThreadPool
    private let state: Locked<State>

    /// Queued calls an event loop runs one after another before it serves its own connections'
    /// I/O again (the rest waits for the loop's next turn, a few microseconds).
    static let maxQueuedRunsPerTurn = 8

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

    /// Where the thread that frees or is granted a slot stands, which decides what it may run.
    private enum Place {
        /// A call thread, between calls: it runs any call it is granted.
        case callThread
        /// An event loop running a task of the scheduler, `runs` queued calls into its turn: it
        /// runs calls that may run inline, up to `maxQueuedRunsPerTurn`.
        case loopTurn(EventLoop, runs: Int)
        /// An event loop inside a handler (an inline call, a submission): it runs nothing more
        /// before returning; a call it is granted runs in the loop's next turn.
        case loopHandler(EventLoop)
        /// Anywhere else (a call thread mid-call, a stopping pool): everything granted hops.
        case elsewhere

        var loop: EventLoop? {
            switch self {
            case .loopTurn(let loop, _), .loopHandler(let loop): return loop
            case .callThread, .elsewhere: return nil
            }
        }

        /// Whether the thread here may run a granted call itself (`dispatch` may return one).
        var runsGrantedCalls: Bool {
            switch self {
            case .callThread, .loopTurn: return true
            case .loopHandler, .elsewhere: return false
            }
        }
    }

    /// A call waiting for a slot.
    private struct QueuedCall: Sendable {
        let export: InlineCallHistory.Export
        /// The loop of the connection that sent it, where its answer is completed.
        let loop: EventLoop
        /// Whether its limits allow the inline path at all (`CallLimits.mayRunInline`).
        let mayRunInline: Bool
        /// Runs the call at `place` (it holds a slot), completes its answer, and returns the call
        /// this thread was granted next to run, if any.
        let run: @Sendable (_ place: Place) -> GrantedCall?
        let refuse: @Sendable (String) -> Void
    }

    /// A call granted a slot, and whether its export may run on an event loop now.
    private struct GrantedCall: Sendable {
        let call: QueuedCall
        let mayInline: Bool
    }

    /// What waits for a slot: a new call, or a call that gave its slot back while it waited in a
    /// host operation and whose thread sleeps until it has one again.
    private enum Entry: Sendable {
        case call(QueuedCall)
        case resumer(wake: @Sendable () -> Void)

        func refuse(_ reason: String) {
            switch self {
            case .call(let call): call.refuse(reason)
            case .resumer(let wake): wake()
            }
        }
    }

    private struct State {
        var queue: FairCallQueue<Entry>
        /// The controls of the calls running now, so that `stopAll` can stop them.
        var active: [ObjectIdentifier: CallControl] = [:]
        /// Set by `stopAll`: new calls are refused with it.
        var stopReason: String?
        /// Which exports may run on the event loop.
        var inlineHistory: InlineCallHistory
        /// Calls run on an event loop so far.
        var inlineRuns = 0

        /// Grants free slots (`FairCallQueue.grant`), noting for each call whether it may run inline.
        mutating func grant() -> [Granted] {
            queue.grant().map { entry in
                switch entry {
                case .call(let call):
                    return .call(GrantedCall(call: call, mayInline: call.mayRunInline && inlineHistory.mayInline(call.export)))
                case .resumer(let wake):
                    return .resumer(wake)
                }
            }
        }
    }

    private enum Granted {
        case call(GrantedCall)
        case resumer(@Sendable () -> Void)
    }

    init(limits: CallSchedulingLimits) {
        self.limits = limits
        self.state = Locked(State(queue: FairCallQueue(limits: limits),
                                  inlineHistory: InlineCallHistory(shortRun: limits.inlineCallLimit)))
        threads = NIOThreadPool(numberOfThreads: limits.slots + limits.maxBlocked)
        threads.start()
    }

    /// Queues a call of `function` of `app`; once granted a slot, `body` runs on a call thread
    /// or an event loop (see the type's documentation) with a new `CallControl` of `timeLimit`
    /// (its clock starts then). The future completes on `eventLoop` with `body`'s value, or fails
    /// with `CallSchedulerError.stopped` if the server stops first. `mayRunInline`: whether the
    /// call's limits allow the inline path at all (`CallLimits.mayRunInline`).
    func submit<T: Sendable>(app: String, function: String, mayRunInline: Bool, timeLimit: Duration?, on eventLoop: EventLoop,
                             _ body: @escaping @Sendable (CallControl) -> T) -> EventLoopFuture<T> {
        if let value = runInline(app: app, function: function, mayRunInline: mayRunInline, timeLimit: timeLimit,
                                 on: eventLoop, body) {
            return eventLoop.makeSucceededFuture(value)
        }
        let export = InlineCallHistory.Export(app: app, function: function)
        let promise = eventLoop.makePromise(of: T.self)
        let call = QueuedCall(
            export: export, loop: eventLoop, mayRunInline: mayRunInline,
            run: { [self] place in
                let (value, next) = run(export, at: place, timeLimit: timeLimit, body)
                promise.succeed(value)
                return next
            },
            refuse: { reason in promise.fail(CallSchedulerError.stopped(reason)) })
        let (granted, refusal) = state.withLock { state -> ([Granted], String?) in
            if let reason = state.stopReason { return ([], reason) }
            state.queue.enqueue(.call(call), app: app)
            return (state.grant(), nil)
        }
        if let refusal { call.refuse(refusal) }
        dispatchAll(granted, from: eventLoop.inEventLoop ? .loopHandler(eventLoop) : .elsewhere)
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
        let (value, next) = run(export, at: .loopHandler(eventLoop), timeLimit: timeLimit, body)
        // A loop handler runs no granted call itself: `dispatch` started all of them.
        precondition(next == nil, "an inline call's thread was handed a call it does not run")
        return value
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

    /// Starts what a grant returned from `place`: resumers are woken; of the calls, the first
    /// one `place` may run is returned for this thread to run next (it holds its slot only until
    /// then), a call that may run inline granted to a loop handler runs in that loop's next turn,
    /// and the others hop to a thread that runs them (`start`).
    private func dispatch(_ granted: [Granted], from place: Place) -> GrantedCall? {
        var kept: GrantedCall?
        // The loop `place` stands on takes one granted call at most (now or in its next turn);
        // more go to their own loops, so that two freed slots are not served one after the other.
        var loopTaken = false
        for entry in granted {
            switch entry {
            case .resumer(let wake):
                wake()
            case .call(let call) where kept == nil && !loopTaken && Self.mayRun(call, at: place):
                kept = call
            case .call(let call) where call.mayInline && !loopTaken && kept == nil && place.loop != nil && !Self.turnIsFull(place):
                loopTaken = true
                start(call, on: place.loop)
            case .call(let call):
                start(call, on: nil, avoidingCurrentLoop: Self.turnIsFull(place))
            }
        }
        return kept
    }

    /// `dispatch` from a place that runs no granted call itself (a loop handler, or elsewhere):
    /// every call granted is started on a thread that runs it, none is returned to drop.
    private func dispatchAll(_ granted: [Granted], from place: Place) {
        precondition(!place.runsGrantedCalls, "a thread that may run a granted call must take it from dispatch")
        let kept = dispatch(granted, from: place)
        precondition(kept == nil, "a granted call was kept where nothing runs it")
    }

    /// Whether the thread at `place` runs `granted` itself, right after what it is doing.
    private static func mayRun(_ granted: GrantedCall, at place: Place) -> Bool {
        switch place {
        case .callThread: return true
        case .loopTurn(_, let runs): return granted.mayInline && runs + 1 < maxQueuedRunsPerTurn
        case .loopHandler, .elsewhere: return false
        }
    }

    /// Whether an event loop's turn has run its share of queued calls: a call queued on that loop
    /// now would still run in the same turn (NIO runs the tasks queued during a turn before it
    /// reads its sockets again), so the loop's own network work would keep waiting.
    private static func turnIsFull(_ place: Place) -> Bool {
        if case .loopTurn(_, let runs) = place { return runs + 1 >= maxQueuedRunsPerTurn }
        return false
    }

    /// Sends a granted call to a thread that runs it: a call that may run inline to `loop` (the
    /// loop the granting thread stands on, in its next turn: no wake-up of another thread) or
    /// else its own loop; any other call to a call thread. With `avoidingCurrentLoop`, a call
    /// whose loop is the one this thread runs goes to a call thread instead.
    private func start(_ granted: GrantedCall, on loop: EventLoop?, avoidingCurrentLoop: Bool = false) {
        let call = granted.call
        guard granted.mayInline, !(avoidingCurrentLoop && (loop ?? call.loop).inEventLoop) else {
            threads.submit { poolState in
                guard poolState == .active else {
                    self.dispatchAll(self.freeSlot(of: call.export, run: nil), from: .elsewhere)
                    call.refuse("the call threads have stopped")
                    return
                }
                self.runCalls(from: call, at: .callThread)
            }
            return
        }
        let target = loop ?? call.loop
        target.execute { self.runCalls(from: call, at: .loopTurn(target, runs: 0)) }
    }

    /// Runs `first`, then each call this thread is granted after it (`dispatch`), at `place`.
    private func runCalls(from first: QueuedCall, at place: Place) {
        var next: QueuedCall? = first
        var place = place
        while let call = next {
            next = call.run(place)?.call
            if case .loopTurn(let loop, let runs) = place { place = .loopTurn(loop, runs: runs + 1) }
        }
    }

    /// Runs a granted call (it holds its slot) at `place`, frees its slot, and returns its value
    /// with the call this thread was granted next (`dispatch`).
    private func run<T>(_ export: InlineCallHistory.Export, at place: Place, timeLimit: Duration?,
                        _ body: (CallControl) -> T) -> (value: T, next: GrantedCall?) {
        let inline = place.loop != nil
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
        let value = body(control)
        Self.current.currentValue = outer
        let cpu = ThreadUsage.cpuTime() - startedCPU, elapsed = ContinuousClock.now - started
        // Whether the call waited matters only when its time off the core could make it count as
        // long (`InlineCallHistory`); the second getrusage is saved otherwise.
        let waited = elapsed - cpu > limits.inlineCallLimit && ThreadUsage.waits() != startedWaits
        let granted = freeSlot(of: export, run: InlineCallHistory.Run(cpu: cpu, elapsed: elapsed, waited: waited),
                               inline: inline, active: id)
        return (value, dispatch(granted, from: place))
    }

    /// A granted call ended (`run` nil: it never ran): frees its slot, records its times, and
    /// returns what the freed slot was granted to, for the caller to `dispatch`.
    private func freeSlot(of export: InlineCallHistory.Export, run: InlineCallHistory.Run?, inline: Bool = false,
                          active id: ObjectIdentifier? = nil) -> [Granted] {
        state.withLock { state -> [Granted] in
            if let id { state.active.removeValue(forKey: id) }
            if let run { state.inlineHistory.record(export, run, inline: inline) }
            state.queue.finish(app: export.app)
            return state.grant()
        }
    }

    /// Runs `body`, a host operation that waits (a network request), from inside a call: the
    /// call gives its slot to another while it waits, within the blocked caps, and waits its turn
    /// for a slot again afterwards. Outside a scheduled call (tests, loads) it just runs `body`.
    static func whileBlocked<T>(_ body: () throws -> T) rethrows -> T {
        guard let ticket = current.currentValue else { return try body() }
        let scheduler = ticket.scheduler
        let released = scheduler.state.withLock { state -> [Granted]? in
            // A call that waits for the network must not run on an event loop again; one that
            // does now keeps its slot (giving it away would not free the loop).
            state.inlineHistory.bar(ticket.export)
            guard !ticket.inline, state.queue.releaseSlot(app: ticket.app) else { return nil }
            return state.grant()
        }
        guard let granted = released else { return try body() }
        scheduler.dispatchAll(granted, from: .elsewhere)
        defer { scheduler.reacquire(app: ticket.app) }
        return try body()
    }

    /// The call on this thread is about to wait for a database (the PostgreSQL store): its
    /// export must not run on an event loop again, where the wait would stall the loop's other
    /// connections. It keeps its slot: the wait is one round trip. Outside a scheduled call it
    /// does nothing. Installed as the store's `DatabaseWait` observer.
    static func willWaitForDatabase() {
        guard let ticket = current.currentValue else { return }
        ticket.scheduler.state.withLock { $0.inlineHistory.bar(ticket.export) }
    }

    /// Waits until the call of `app` on this thread holds a slot again.
    private func reacquire(app: String) {
        let semaphore = DispatchSemaphore(value: 0)
        let granted = state.withLock { state -> [Granted] in
            state.queue.enqueueResumer(.resumer(wake: { semaphore.signal() }), app: app)
            return state.grant()
        }
        dispatchAll(granted, from: .elsewhere)
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

    /// Calls that ran on an event loop so far.
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
