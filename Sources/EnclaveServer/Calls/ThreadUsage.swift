#if canImport(Glibc)
import Glibc
#endif

/// What the calling thread has used so far: CPU time, and how often it gave up its core to wait
/// (voluntary context switches: a blocking read or write, `fsync`, a lock held elsewhere, a
/// sleep). Involuntary switches, where the kernel preempted the thread for another, are not
/// counted: on a busy machine they say something about the machine, not about the call.
///
/// CPU time comes from `CLOCK_THREAD_CPUTIME_ID` (exact), the switches from
/// `getrusage(RUSAGE_THREAD)`, whose CPU times are not used: they are split from the exact
/// total by tick counts and jump by milliseconds (measured: 3.4 ms of "CPU" over a 4 ms
/// inline call that took ~20 µs, which barred `hello` from the event loop for good).
/// Elsewhere than Linux both stay zero, and calls are judged by wall-clock time alone
/// (`InlineCallHistory`).
enum ThreadUsage {
    /// `RUSAGE_THREAD` (Linux, `<sys/resource.h>`), which Swift's Glibc module does not export.
    private static let rusageThread: Int32 = 1

    /// CPU time the calling thread has used.
    static func cpuTime() -> Duration {
        #if canImport(Glibc)
        var now = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) == 0 else { return .zero }
        return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
        #else
        return .zero
        #endif
    }

    /// Voluntary context switches of the calling thread so far.
    static func waits() -> Int {
        #if canImport(Glibc)
        var usage = rusage()
        guard getrusage(__rusage_who_t(rusageThread), &usage) == 0 else { return 0 }
        return Int(usage.ru_nvcsw)
        #else
        return 0
        #endif
    }
}
