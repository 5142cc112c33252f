import NIOCore
import NIOPosix

/// Runs blocking work — component calls, and the parsing and loading around them — on
/// dedicated threads, never on an event loop.
///
/// Two pools, so that a flood of long calls cannot starve cheap requests such as `Ping` or
/// `wasm_list`: `calls` has one thread per allowed concurrent call (further calls queue, which
/// is the concurrency cap), `requests` parses frames and loads components.
public final class CallExecutor: Sendable {
    private let calls: NIOThreadPool
    private let requests: NIOThreadPool
    /// The maximum number of component calls executing at once.
    public let maxConcurrentCalls: Int

    /// Creates and starts both pools.
    /// - Parameters:
    ///   - maxConcurrentCalls: call threads (at least 1).
    ///   - requestThreads: threads for parsing and loading (at least 1).
    public init(maxConcurrentCalls: Int, requestThreads: Int = 2) {
        self.maxConcurrentCalls = max(1, maxConcurrentCalls)
        calls = NIOThreadPool(numberOfThreads: self.maxConcurrentCalls)
        requests = NIOThreadPool(numberOfThreads: max(1, requestThreads))
        calls.start()
        requests.start()
    }

    /// Calls submitted and not finished: running or waiting for a call thread.
    private let inFlight = Locked(0)

    /// Runs a component call on a call thread; the future completes on `eventLoop`.
    public func runCall<T: Sendable>(on eventLoop: EventLoop, _ body: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        inFlight.withLock { $0 += 1 }
        let future = calls.runIfActive(eventLoop: eventLoop, body)
        future.whenComplete { [inFlight] _ in inFlight.withLock { $0 -= 1 } }
        return future
    }

    /// Calls running or queued for a call thread right now (the call queue's depth).
    public var callsInFlight: Int { inFlight.withLock { $0 } }

    /// Runs request processing (JSON parsing of up to 16 MiB, component validation) off the
    /// event loop; the future completes on `eventLoop`.
    public func runRequest<T: Sendable>(on eventLoop: EventLoop, _ body: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        requests.runIfActive(eventLoop: eventLoop, body)
    }

    /// Stops both pools after the work already submitted has run.
    public func shutdown() async {
        try? await calls.shutdownGracefully()
        try? await requests.shutdownGracefully()
    }
}
