/// Which exports have shown that their calls are short enough to run on the event loop that
/// received them, instead of hopping to a call thread and back.
///
/// The hop costs two thread wake-ups per call (event loop → call thread → event loop), more than
/// a short call itself (a fresh-instance `hello` is a few microseconds) and much more on a busy
/// machine, where each woken thread waits for a core. An event loop must never be held for long,
/// though: every connection it serves waits meanwhile. So an export earns the inline path only by
/// its record, and loses it at once:
/// - it must have run `shortRunsToInline` times in a row, each within `shortRun` of CPU time
///   (response encoding included; `CallSchedulingLimits.inlineCallLimit`) and, if it waited
///   (gave up its core: a disk write, a lock, a sleep; `ThreadUsage`), within `waitFactor` ×
///   `shortRun` of wall-clock time, before a call of it may run inline. CPU time, because on a
///   busy machine a thread is preempted mid-call and its wall-clock time says more about the
///   machine than about the call (a run that was only preempted is judged by CPU time alone:
///   otherwise one preemption on a loaded machine sent a microsecond export back to the call
///   threads, or barred it for good); wall-clock time of runs that waited, so that calls that
///   wait stay off the loop;
/// - a longer run sends it back to the call threads until it has a new record, unless the export
///   has an established record (`establishedRuns` short runs in a row): then one such run is
///   forgiven, because on a loaded machine a microsecond export now and then reads a few hundred
///   microseconds of CPU (cache misses, page faults, a preemption accounted to the thread), and
///   losing the record for it sent all its calls through the queue. A second longer run before
///   the record is established again sends it back, so an export that turned slower than
///   `shortRun` (but not over the barring limits below) still leaves the loop after two runs;
/// - a call that waited in a host operation (an HTTPS request) bars its export for good (for the
///   app name, while the server runs), as does an inline run over `barringFactor` × `shortRun`
///   of CPU time. So an export that turns slow holds its loop once, for at most that call's fuel
///   or time limit, and never again;
/// - an inline run that waited and took over `stallLimit` of wall-clock time (a stall) sends the
///   export back to the call threads without forgiveness; `maxStalls` stalls within
///   `stallWindow`, or one over `stallBarringFactor` × `shortRun`, bar it for good. One stall is
///   not enough: a short call that waits for a lock held by a thread the kernel preempted
///   (another call of the same app on the other core, under load) reads as a stall of several
///   milliseconds (over 10 ms twice in one 6-second bench run at load ~5), and barring for that
///   sent a microsecond export through the call threads for the server's lifetime. An export
///   that really waits inline holds its loop at most `maxStalls` − 1 times per `stallWindow`,
///   each under `stallBarringFactor` × `shortRun`;
/// - apps allowed more fuel than `maxInlineFuel` are never inlined (guest compute is bounded by
///   fuel: the default 10,000,000 is a few milliseconds).
/// At most `maxTracked` exports are tracked; others always use the call threads.
///
/// The scheduler still decides whether a call may start at all (slots, per-app share, nobody
/// waiting), so inline calls change where a call runs, never whether or when.
struct InlineCallHistory {
    /// A run this short (or shorter) counts towards an export's record; zero: nothing is inlined.
    let shortRun: Duration
    /// An inline run that waited this long (wall clock) is a stall.
    let stallLimit: Duration
    /// Consecutive short runs before calls of an export may run inline.
    static let shortRunsToInline = 4
    /// Consecutive short runs after which one longer run (within the barring limits) is forgiven.
    static let establishedRuns = 16
    /// CPU time that bars an export when spent inline, in multiples of `shortRun`.
    static let barringFactor = 20
    /// Wall-clock time a short run may take, in multiples of `shortRun`; `stallLimit` is 10× that.
    static let waitFactor = 10
    /// Stalls (inline runs that waited past `stallLimit`) within `stallWindow` that bar an export.
    static let maxStalls = 3
    /// The window `maxStalls` counts in.
    static let stallWindow: Duration = .seconds(60)
    /// A stall this long, in multiples of `shortRun`, bars its export at once (100 ms by default:
    /// longer than a lock holder's preemption on a loaded machine lasts).
    static let stallBarringFactor = 1000
    /// Apps whose calls may burn more fuel than this always use the call threads.
    static let maxInlineFuel: UInt64 = 10_000_000
    /// Exports tracked at most (apps × exports); bounded because app names come from clients.
    static let maxTracked = 4096

    struct Export: Hashable, Sendable {
        var app: String
        var function: String
    }

    private enum Record {
        /// Consecutive runs within `shortRun` (capped at `establishedRuns`; after a forgiven
        /// longer run, `shortRunsToInline`), and when the export's recent stalls were (at most
        /// `maxStalls` − 1, within `stallWindow`).
        case counting(Int, stalls: [ContinuousClock.Instant])
        case barred
    }

    /// What one call took: its thread's CPU time and the wall-clock time, and whether it waited
    /// (gave up its core of its own accord) at least once.
    struct Run {
        var cpu: Duration
        var elapsed: Duration
        var waited = true
    }

    private var records: [Export: Record] = [:]

    init(shortRun: Duration) {
        self.shortRun = shortRun
        self.stallLimit = shortRun * (Self.waitFactor * 10)
    }

    /// Whether a call of `export` may run inline now, as far as its record goes.
    func mayInline(_ export: Export) -> Bool {
        if shortRun > .zero, case .counting(let runs, _)? = records[export] { return runs >= Self.shortRunsToInline }
        return false
    }

    /// A call of `export` used `cpu` of its thread's CPU time over `elapsed` of wall-clock time
    /// (inline or on a call thread); `waited`: it gave up its core to wait at least once (when
    /// false, `elapsed` beyond `cpu` was preemption and does not count).
    mutating func record(_ export: Export, cpu: Duration, elapsed: Duration, inline: Bool, waited: Bool = true) {
        record(export, Run(cpu: cpu, elapsed: elapsed, waited: waited), inline: inline)
    }

    /// Records `run`, one call of `export` (inline or on a call thread), which ended `now`
    /// (nil: the clock's now; read only for a stall).
    mutating func record(_ export: Export, _ run: Run, inline: Bool, now: ContinuousClock.Instant? = nil) {
        let cpu = run.cpu
        let elapsed = run.waited ? run.elapsed : cpu
        if inline, cpu > shortRun * Self.barringFactor || elapsed > shortRun * Self.stallBarringFactor {
            records[export] = .barred
            return
        }
        let stalled = inline && elapsed > stallLimit
        let short = cpu <= shortRun && elapsed <= shortRun * Self.waitFactor
        switch records[export] {
        case .barred?:
            return
        case .counting(_, let stalls)? where stalled:
            let now = now ?? .now
            let recent = stalls.filter { now - $0 < Self.stallWindow } + [now]
            records[export] = recent.count >= Self.maxStalls ? .barred : .counting(0, stalls: recent)
        case .counting(let runs, let stalls)?:
            records[export] = .counting(Self.runs(after: runs, short: short), stalls: stalls)
        case nil:
            guard records.count < Self.maxTracked, short else { return }
            records[export] = .counting(1, stalls: [])
        }
    }

    /// The record after a run: one more short run, or a longer one (forgiven once when established).
    private static func runs(after runs: Int, short: Bool) -> Int {
        if short { return min(runs + 1, establishedRuns) }
        return runs >= establishedRuns ? shortRunsToInline : 0
    }

    /// A call of `export` waited in a host operation: never inline it.
    mutating func bar(_ export: Export) {
        guard records[export] != nil || records.count < Self.maxTracked else { return }
        records[export] = .barred
    }

    /// Exports tracked now.
    var trackedCount: Int { records.count }
}
