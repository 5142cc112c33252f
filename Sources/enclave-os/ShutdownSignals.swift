import EnclaveServer
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGTERM and SIGINT for `enclave-os`, as a service beside the server in its `ServiceGroup`:
/// the first starts the server's graceful shutdown (its grace period), a second exits at once.
///
/// Listed before the server in the group, so the group shuts it down after the server (in
/// reverse order): it keeps listening for the second signal while the server drains.
struct ShutdownSignals: Service {
    let server: EnclaveServer
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let server = self.server, logger = self.logger
        await cancelWhenGracefulShutdown {
            var received = 0
            for await signal in signals {
                received += 1
                if received == 1 {
                    logger.info("signal received: shutting down gracefully; send it again to exit at once",
                                metadata: ["signal": "\(signal)"])
                    Task { await server.shutdown() }
                } else {
                    Self.exitAtOnce(signal, server: server, logger: logger)
                }
            }
        }
    }

    /// A second signal: the operator does not want to wait. Calls still running are abandoned;
    /// the crash guard is cleared first, because an exit the operator asked for is not a crash
    /// of the apps that happened to be running (they must not be quarantined on the next start).
    /// The kernel releases the data directory's lock with the process.
    private static func exitAtOnce(_ signal: UnixSignal, server: EnclaveServer, logger: Logger) -> Never {
        server.clearCrashGuardForImmediateExit()
        logger.warning("second signal: exiting at once; calls still running are abandoned, their answers lost",
                       metadata: ["signal": "\(signal)"])
        _exit(128 + signal.rawValue)
    }
}
