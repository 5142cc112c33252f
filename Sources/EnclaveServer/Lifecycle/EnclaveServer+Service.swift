import ServiceLifecycle

/// The server as a service-lifecycle `Service`: run it in a `ServiceGroup`, and the group's
/// graceful shutdown (a signal it traps, or `triggerGracefulShutdown()`) becomes the server's
/// `shutdown()` with its grace period; cancelling the task stops it at once (grace period zero).
extension EnclaveServer: Service {
    /// Starts the server unless `start()` already did, then serves until it has shut down.
    public func run() async throws {
        let idle = state.withLock { $0.phase == .idle }
        if idle { try await start() }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await waitUntilClosed()
            } onGracefulShutdown: {
                Task { await self.shutdown() }
            }
        } onCancel: {
            Task { await self.shutdown(gracePeriod: .zero) }
        }
    }
}
