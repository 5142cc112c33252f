import Foundation

/// One background thread that stops calls whose `CallControl` must stop while their guest code
/// runs: it sleeps until the earliest deadline among the watched calls (or until `wake`), and
/// zeroes the fuel of every call that is due (`CallControl.enforce`).
///
/// The thread starts with the first watched call and then stays (it sleeps while nothing is
/// watched). Watching and unwatching are a lock and a dictionary update; the thread is woken
/// only when a new call's deadline comes before the one it sleeps until (calls of one time limit
/// arrive in deadline order, so that is rare), or when a call is stopped.
final class CallWatchdog: @unchecked Sendable {
    // @unchecked: `watched`, `running` and `sleepsUntil` are accessed only under `condition`.

    static let shared = CallWatchdog()

    private let condition = NSCondition()
    private var watched: [ObjectIdentifier: CallControl] = [:]
    private var running = false
    /// When the thread wakes up next; nil: not before it is signalled.
    private var sleepsUntil: ContinuousClock.Instant?

    private init() {}

    /// Watches `control` until `unwatch`.
    func watch(_ control: CallControl) {
        condition.withLock {
            watched[ObjectIdentifier(control)] = control
            if !running {
                running = true
                let thread = Thread { [self] in run() }
                thread.name = "enclaveos-call-watchdog"
                thread.start()
            }
            if let deadline = control.deadline, sleepsUntil.map({ deadline < $0 }) ?? true {
                condition.signal()
            }
        }
    }

    /// Stops watching `control`. Once this returns the watchdog is not inside `enforce` for it,
    /// and will not be again.
    func unwatch(_ control: CallControl) {
        condition.withLock { _ = watched.removeValue(forKey: ObjectIdentifier(control)) }
    }

    /// Makes the watchdog look at every watched call now (a call was stopped).
    func wake() {
        condition.withLock { condition.signal() }
    }

    private func run() {
        // The lock is held from one wait to the next, so no `watch` or `wake` falls in between.
        condition.lock()
        while true {
            let now = ContinuousClock.now
            var next: ContinuousClock.Instant?
            for control in watched.values {
                let due = control.enforce(at: now) ?? control.deadline.flatMap { $0 > now ? $0 : nil }
                if let due { next = next.map { min($0, due) } ?? due }
            }
            sleepsUntil = next
            if let next {
                let seconds = (next - now) / .seconds(1)
                _ = condition.wait(until: Date(timeIntervalSinceNow: max(0, seconds)))
            } else {
                condition.wait()
            }
        }
    }
}
