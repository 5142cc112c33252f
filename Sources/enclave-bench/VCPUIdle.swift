import Dispatch
import Foundation

/// How this machine's idle vCPUs wait for work, which sets the floor of a round trip on an
/// otherwise idle machine.
///
/// A ping-pong round trip leaves both the bench client's and the server's threads idle half
/// the time. In a VM whose guest kernel runs the `haltpoll` cpuidle driver with
/// `guest_halt_poll_ns=0`, an idle vCPU halts at once, the halt leaves the guest, and waking
/// it for the next message costs tens of microseconds in the hypervisor — more than the
/// server's own work per call. The kernel's default is to poll for up to 200 µs before
/// halting. The bench reports the setting beside its latency rows and, when asked
/// (`--guest-halt-poll-ns N`, root only), sets it for the run and restores it at the end.
enum VCPUIdle {
    static let driverPath = "/sys/devices/system/cpu/cpuidle/current_driver"
    static let haltPollPath = "/sys/module/haltpoll/parameters/guest_halt_poll_ns"
    /// The Linux default of `haltpoll.guest_halt_poll_ns`.
    static let kernelDefaultHaltPollNanoseconds = 200_000

    /// The cpuidle driver (`haltpoll`, `intel_idle`, `acpi_idle`, …), or nil when the kernel
    /// does not say.
    static var driver: String? { read(driverPath) }

    /// The guest halt-polling window in nanoseconds, or nil without the haltpoll driver.
    static var guestHaltPollNanoseconds: Int? { read(haltPollPath).flatMap { Int($0) } }

    /// One phrase for a table row: how idle vCPUs waited during this run.
    static func describe(setForRun: Bool) -> String {
        guard let driver else { return "idle vCPUs: the kernel names no cpuidle driver" }
        guard driver == "haltpoll", let window = guestHaltPollNanoseconds else { return "idle vCPUs: cpuidle driver \(driver)" }
        let how = window == 0 ? "halt at once" : "poll \(Format.number(Double(window) / 1_000)) µs before halting"
        return "idle vCPUs \(how) (haltpoll, guest_halt_poll_ns=\(window)\(setForRun ? ", set for this run" : ""))"
    }

    /// Sets the guest halt-polling window for this run. The returned override restores the
    /// previous value when the run ends, and on SIGINT/SIGTERM before exiting, so an
    /// interrupted run does not leave the machine changed.
    static func setGuestHaltPoll(nanoseconds: Int) throws -> HaltPollOverride {
        guard driver == "haltpoll", let previous = guestHaltPollNanoseconds else {
            throw BenchError("--guest-halt-poll-ns: this kernel does not run the haltpoll cpuidle driver "
                + "(\(driverPath) says \(driver ?? "nothing")); the option only applies to such VM guests")
        }
        try write(nanoseconds, reason: "set")
        progress("guest_halt_poll_ns set to \(nanoseconds) for this run (was \(previous)); restored at the end")
        return HaltPollOverride(previous: previous)
    }

    /// A changed halt-polling window and what puts it back.
    final class HaltPollOverride {
        let previous: Int
        private var signalSources: [DispatchSourceSignal] = []

        fileprivate init(previous: Int) {
            self.previous = previous
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    VCPUIdle.restore(previous)
                    exit(128 + number)
                }
                source.resume()
                signalSources.append(source)
            }
        }

        func restore() {
            signalSources.forEach { $0.cancel() }
            VCPUIdle.restore(previous)
        }
    }

    fileprivate static func restore(_ previous: Int) {
        do {
            try write(previous, reason: "restore")
            progress("guest_halt_poll_ns restored to \(previous)")
        } catch {
            progress("warning: \(error); set it back by hand: echo \(previous) > \(haltPollPath)")
        }
    }

    private static func write(_ nanoseconds: Int, reason: String) throws {
        do {
            try "\(nanoseconds)\n".write(toFile: haltPollPath, atomically: false, encoding: .utf8)
        } catch {
            throw BenchError("cannot \(reason) \(haltPollPath) to \(nanoseconds) (root is needed): \(error.localizedDescription)")
        }
    }

    private static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
