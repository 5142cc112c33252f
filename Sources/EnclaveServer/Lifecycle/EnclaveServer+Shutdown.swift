import Foundation
import Logging
import NIOCore
import NIOPosix

extension EnclaveServer {
    /// The reason calls stopped by a shutdown fail with (`call failed: stopped: …`).
    static let shutdownStopReason = "the server is shutting down"

    /// Stops the server gracefully, with the configured grace period (`shutdownGracePeriod`).
    public func shutdown() async {
        await shutdown(gracePeriod: configuration.shutdownGracePeriod)
    }

    /// Stops the server:
    /// 1. no new connections; every connection stops taking requests (one that arrives is
    ///    answered `Error: server is shutting down` and the connection closed);
    /// 2. requests already received run and are answered, and each connection closes once it has
    ///    answered them, for at most `gracePeriod`;
    /// 3. then calls still running are stopped (their guest code traps at its next fuel charge;
    ///    a waiting HTTPS request is abandoned) and the remaining connections are closed;
    /// 4. once no guest code runs, the sealed store and the crash guard's in-flight record are
    ///    closed cleanly (nothing left to quarantine) and the data directory's lock is released.
    ///
    /// Safe to call more than once and concurrently: a later call with a shorter grace period
    /// shortens the one in progress (a second signal, task cancellation), and every call returns
    /// once the server has stopped.
    public func shutdown(gracePeriod: Duration) async {
        let started = ContinuousClock.now
        switch claimShutdown(gracePeriod: gracePeriod, at: started) {
        case .alreadyStopping:
            await waitUntilClosed()
        case .neverStarted:
            finishStopping()
        case .drain(let serverChannel, let connections, let executor, let group):
            logger.info("shutting down: no new connections", metadata: [
                "connections": "\(connections.count)", "calls": "\(executor.map { Self.describe($0.callUsage) } ?? "none")",
                "grace_period_s": "\(ComponentSeconds.format(gracePeriod))",
            ])
            try? await serverChannel?.close()
            try? await state.withLock({ $0.metricsChannel })?.close()
            for connection in connections {
                connection.pipeline.fireUserInboundEventTriggered(RequestHandler.Drain())
            }
            let drained = await waitForConnectionsToDrain()
            await stopEverything(drained: drained, executor: executor, group: group, started: started)
        }
    }

    private enum ShutdownClaim {
        case alreadyStopping
        case neverStarted
        case drain(Channel?, [Channel], CallExecutor?, MultiThreadedEventLoopGroup?)
    }

    private func claimShutdown(gracePeriod: Duration, at now: ContinuousClock.Instant) -> ShutdownClaim {
        state.withLock { state in
            switch state.phase {
            case .idle:
                state.phase = .stopped
                return .neverStarted
            case .running:
                state.phase = .draining
                state.drainDeadline = now + gracePeriod
                state.sweeper?.cancel()
                state.sweeper = nil
                return .drain(state.serverChannel, Array(state.connections.values), state.executor, state.group)
            case .draining:
                if let deadline = state.drainDeadline, now + gracePeriod < deadline {
                    state.drainDeadline = now + gracePeriod
                }
                return .alreadyStopping
            case .stopping, .stopped:
                return .alreadyStopping
            }
        }
    }

    /// Waits until every connection has closed or the grace period (which a later `shutdown`
    /// may shorten) has ended. Returns whether every connection closed.
    private func waitForConnectionsToDrain() async -> Bool {
        while true {
            let (open, deadline) = state.withLock { ($0.connections.count, $0.drainDeadline) }
            if open == 0 { return true }
            if Task.isCancelled { return false }  // cancellation means now
            if let deadline, ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: Self.drainPollInterval)
        }
    }

    /// How often the grace period checks whether every connection has closed.
    static let drainPollInterval = Duration.milliseconds(10)

    private func stopEverything(drained: Bool, executor: CallExecutor?, group: MultiThreadedEventLoopGroup?,
                                started: ContinuousClock.Instant) async {
        let (connections, usage) = state.withLock { state -> ([Channel], (running: Int, waiting: Int, blocked: Int)?) in
            state.phase = .stopping
            return (Array(state.connections.values), state.executor?.callUsage)
        }
        if !drained {
            logger.warning("grace period over: stopping the calls still running, closing the connections left", metadata: [
                "connections": "\(connections.count)", "calls": "\(usage.map(Self.describe) ?? "none")",
            ])
        }
        // Calls still running now have no client left to answer (or the grace period is over):
        // stop them, so that the threads end and the crash guard closes cleanly.
        executor?.stopCalls(reason: Self.shutdownStopReason)
        for connection in connections {
            try? await connection.close()
        }
        await executor?.shutdown()
        let cluster = state.withLock { $0.cluster }
        await cluster?.stopServices()
        // No guest code runs any more: close the store (releasing the data directory's lock)
        // and clear the in-flight record.
        registry.detachStore()
        cluster?.releaseDirectory()
        try? await group?.shutdownGracefully()
        let seconds = ComponentSeconds.format(ContinuousClock.now - started)
        logger.info("stopped", metadata: ["after_s": "\(seconds)", "drained": "\(drained)"])
        finishStopping()
    }

    private func finishStopping() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.phase = .stopped
            state.serverChannel = nil
            state.metricsChannel = nil
            state.group = nil
            state.executor = nil
            state.drainDeadline = nil
            defer { state.closedWaiters = [] }
            return state.closedWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the server has shut down (immediately if it already has).
    public func waitUntilClosed() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.phase == .stopped { return true }
                state.closedWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Whether `shutdown` has begun (or finished).
    public var isShuttingDown: Bool {
        state.withLock { ![.idle, .running].contains($0.phase) }
    }

    /// The crash guard's in-flight record is cleared without waiting for the calls still
    /// running: for a process about to exit at once (a second signal). An exit the operator asked
    /// for is not a crash, so it must not quarantine the apps that happened to be running.
    public func clearCrashGuardForImmediateExit() {
        registry.ledger?.close()
    }

    private static func describe(_ usage: (running: Int, waiting: Int, blocked: Int)) -> String {
        "\(usage.running) running, \(usage.waiting) waiting, \(usage.blocked) in HTTPS requests"
    }
}

/// Seconds as the logs show them (see `ComponentError.seconds`).
enum ComponentSeconds {
    static func format(_ duration: Duration) -> String {
        let millis = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return String(format: "%.3f", Double(millis) / 1000)
    }
}
