/// The bookkeeping of the call scheduler, without threads: which calls wait, which run, and
/// who gets the next free execution slot.
///
/// Waiting calls are kept per app. A free slot goes to the next app in round-robin order that
/// has a waiting call and holds fewer than `slotsPerApp` slots; within an app, calls resuming
/// after a host operation come before new ones (they already started), and new ones are first
/// in, first out. So one app's backlog, however long, delays another app's call by at most the
/// time until one slot frees, and never holds more than `slotsPerApp` slots.
///
/// A call that blocks in a host operation may give its slot back (`releaseSlot`) while it waits,
/// within `maxBlocked` (and `maxBlockedPerApp`); it then queues as a resumer to get one again.
struct FairCallQueue<Entry> {
    let limits: CallSchedulingLimits

    /// Slots held now (granted calls, running or about to).
    private(set) var running = 0
    private(set) var runningByApp: [String: Int] = [:]
    /// Calls that gave their slot back while waiting in a host operation (until granted again).
    private(set) var blocked = 0
    private(set) var blockedByApp: [String: Int] = [:]

    private var waiting: [String: AppQueue] = [:]
    /// Apps with waiting calls, in round-robin order; `cursor` is where the next search starts.
    private var ring: [String] = []
    private var cursor = 0

    /// One app's waiting calls.
    private struct AppQueue {
        var resumers: [Entry] = []
        var calls: [Entry] = []
        var callsHead = 0

        var isEmpty: Bool { resumers.isEmpty && callsHead == calls.count }

        mutating func pop() -> (entry: Entry, resumes: Bool) {
            if !resumers.isEmpty { return (resumers.removeFirst(), true) }
            let entry = calls[callsHead]
            callsHead += 1
            // Compact now and then, so a long-lived queue does not keep every served entry.
            if callsHead > 64, callsHead * 2 > calls.count {
                calls.removeFirst(callsHead)
                callsHead = 0
            }
            return (entry, false)
        }
    }

    init(limits: CallSchedulingLimits) {
        self.limits = limits
    }

    /// Calls waiting for a slot (new and resuming).
    var waitingCount: Int {
        waiting.values.reduce(0) { $0 + $1.resumers.count + $1.calls.count - $1.callsHead }
    }

    /// Queues a new call of `app`.
    mutating func enqueue(_ entry: Entry, app: String) {
        add(app) { $0.calls.append(entry) }
    }

    /// Queues a call of `app` that gave its slot back (`releaseSlot`) and now wants one again.
    mutating func enqueueResumer(_ entry: Entry, app: String) {
        add(app) { $0.resumers.append(entry) }
    }

    private mutating func add(_ app: String, _ change: (inout AppQueue) -> Void) {
        if waiting[app] == nil {
            waiting[app] = AppQueue()
            // Behind every app already waiting, i.e. just before the cursor.
            ring.insert(app, at: cursor)
            cursor = (cursor + 1) % ring.count
        }
        change(&waiting[app]!)
    }

    /// Grants free slots to waiting calls, fairly; the caller starts each returned entry.
    mutating func grant() -> [Entry] {
        var granted: [Entry] = []
        while running < limits.slots, let (app, entry, resumes) = nextEligible() {
            running += 1
            runningByApp[app, default: 0] += 1
            if resumes { changeBlocked(app, by: -1) }
            granted.append(entry)
        }
        return granted
    }

    private mutating func nextEligible() -> (String, Entry, Bool)? {
        for offset in 0..<ring.count {
            let index = (cursor + offset) % ring.count
            let app = ring[index]
            guard runningByApp[app, default: 0] < limits.slotsPerApp else { continue }
            let (entry, resumes) = waiting[app]!.pop()
            if waiting[app]!.isEmpty {
                waiting[app] = nil
                ring.remove(at: index)
                cursor = ring.isEmpty ? 0 : index % ring.count
            } else {
                cursor = (index + 1) % ring.count
            }
            return (app, entry, resumes)
        }
        return nil
    }

    /// Takes a slot for a call of `app` that starts right away, on the thread that asks, when
    /// `grant` would have granted it at once: nobody waits (so nobody is passed over), a slot is
    /// free and the app holds fewer than its share. False: queue it (`enqueue`) instead.
    mutating func claimImmediately(app: String) -> Bool {
        guard ring.isEmpty, running < limits.slots, runningByApp[app, default: 0] < limits.slotsPerApp else { return false }
        running += 1
        runningByApp[app, default: 0] += 1
        return true
    }

    /// A granted call of `app` has ended and frees its slot (then `grant`).
    mutating func finish(app: String) {
        running -= 1
        Self.decrement(&runningByApp, app)
    }

    /// A running call of `app` gives its slot back while it waits in a host operation, if the
    /// blocked caps allow (then `grant`); false: it keeps the slot.
    mutating func releaseSlot(app: String) -> Bool {
        guard blocked < limits.maxBlocked, blockedByApp[app, default: 0] < limits.maxBlockedPerApp else { return false }
        changeBlocked(app, by: 1)
        finish(app: app)
        return true
    }

    /// Removes every waiting new call (the server stops); resumers stay, they end quickly.
    mutating func removeWaitingCalls() -> [Entry] {
        var removed: [Entry] = []
        for app in ring {
            guard var queue = waiting[app] else { continue }
            removed += queue.calls[queue.callsHead...]
            queue.calls = []
            queue.callsHead = 0
            waiting[app] = queue.isEmpty ? nil : queue
        }
        ring.removeAll { waiting[$0] == nil }
        cursor = 0
        return removed
    }

    private mutating func changeBlocked(_ app: String, by change: Int) {
        blocked += change
        if change > 0 { blockedByApp[app, default: 0] += change } else { Self.decrement(&blockedByApp, app) }
    }

    private static func decrement(_ counts: inout [String: Int], _ app: String) {
        let left = counts[app, default: 0] - 1
        counts[app] = left > 0 ? left : nil
    }
}
