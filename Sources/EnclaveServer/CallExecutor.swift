import EnclaveProtocol
import NIOCore
import NIOPosix
import SealedStore

/// Runs blocking work — component calls, and the parsing and loading around them — on
/// dedicated threads, never on an event loop.
///
/// Calls go through a `CallScheduler`: a bounded number run at once, shared fairly between apps,
/// each under its time limit. Parsing and loading run on a separate pool (`requests`), so a flood
/// of long calls cannot starve cheap requests such as `Ping` or `wasm_list`.
public final class CallExecutor: Sendable {
    private let calls: CallScheduler
    private let requests: NIOThreadPool
    /// How calls share the execution slots.
    public var callLimits: CallSchedulingLimits { calls.limits }

    /// Creates and starts the call scheduler and the request pool.
    /// - Parameters:
    ///   - callLimits: execution slots, per-app share, calls allowed to wait outside a slot.
    ///   - requestThreads: threads for parsing and loading (at least 1).
    public init(callLimits: CallSchedulingLimits, requestThreads: Int = 2) {
        calls = CallScheduler(limits: callLimits)
        // A call that waits for the PostgreSQL store leaves the event loops for good (process-wide
        // and the same for every executor: the observer finds the call through its thread).
        DatabaseWait.setObserver { CallScheduler.willWaitForDatabase() }
        requests = NIOThreadPool(numberOfThreads: max(1, requestThreads))
        requests.start()
    }

    /// Runs a prepared call through `runtime` in its app's turn (the one way calls are
    /// submitted, whatever transport they came by), under the time limit and inline eligibility
    /// `AppRuntime.prepare` gave it, and turns its response into what the transport writes with
    /// `answer`, on the call thread (results can be megabytes to encode). The future completes on
    /// `eventLoop` and never fails: a call the server stopped before it ran is answered
    /// `call failed: stopped: <reason>`.
    func runCall<T: Sendable>(_ call: AppCall, in runtime: AppRuntime, on eventLoop: EventLoop,
                              answer: @escaping @Sendable (ManagementResponse) -> T) -> EventLoopFuture<T> {
        calls.submit(app: call.app.name, function: call.function.name, mayRunInline: call.limits.mayRunInline,
                     timeLimit: call.limits.timeLimit, on: eventLoop) { control in
            answer(runtime.run(call, control: control))
        }
        .recover { error in answer(.error("call failed: stopped: \(error)")) }
    }

    /// Runs a checked call at once on `eventLoop`, the loop the caller runs on, when the
    /// scheduler lets it run inline now, and returns what `answer` makes of its response; nil,
    /// without running it, when it must be submitted with `runCall`. Saves the futures of
    /// `runCall` for the calls that never wait.
    func runCallInline<T>(_ call: AppCall, in runtime: AppRuntime, on eventLoop: EventLoop,
                          answer: (ManagementResponse) -> T) -> T? {
        calls.runInline(app: call.app.name, function: call.function.name, mayRunInline: call.limits.mayRunInline,
                        timeLimit: call.limits.timeLimit, on: eventLoop) { control in
            answer(runtime.run(call, control: control))
        }
    }

    /// Calls running, queued for a slot, or waiting in a host operation right now (the
    /// scheduler's own counts).
    public var callsInFlight: Int {
        let usage = calls.usage
        return usage.running + usage.waiting + usage.blocked
    }

    /// Runs request processing (JSON parsing of up to 16 MiB, component validation) off the
    /// event loop; the future completes on `eventLoop`.
    public func runRequest<T: Sendable>(on eventLoop: EventLoop, _ body: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        requests.runIfActive(eventLoop: eventLoop, body)
    }

    /// Calls that ran on the event loop that received them (no hop to a call thread) so far.
    var inlineCalls: Int { calls.inlineRuns }

    /// Calls holding a slot, waiting for one, and waiting in host operations without one.
    public var callUsage: (running: Int, waiting: Int, blocked: Int) { calls.usage }

    /// Stops every call: waiting ones are refused and running ones stopped with `reason`
    /// (`call failed: stopped: <reason>`), at their next fuel charge or host call.
    func stopCalls(reason: String) {
        calls.stopAll(reason: reason)
    }

    /// Stops both pools after the work already submitted has run.
    public func shutdown() async {
        await calls.shutdown()
        try? await requests.shutdownGracefully()
    }
}
