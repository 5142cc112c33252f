#if canImport(Glibc)
import Glibc
#endif

/// What the calling thread has used so far: CPU time, and how often it gave up its core to wait
/// (voluntary context switches: a blocking read or write, `fsync`, a lock held elsewhere, a
/// sleep). Involuntary switches, where the kernel preempted the thread for another, are not
/// counted: on a busy machine they say something about the machine, not about the call.
///
/// Both come from one `getrusage(RUSAGE_THREAD)` (Linux); elsewhere both stay zero, and calls
/// are then judged by wall-clock time alone (`InlineCallHistory`).
struct ThreadUsage {
    var cpu: Duration = .zero
    var waits: Int = 0

    /// `RUSAGE_THREAD` (Linux, `<sys/resource.h>`), which Swift's Glibc module does not export.
    private static let rusageThread: Int32 = 1

    /// The calling thread's usage now.
    static func now() -> ThreadUsage {
        #if canImport(Glibc)
        var usage = rusage()
        guard getrusage(__rusage_who_t(rusageThread), &usage) == 0 else { return ThreadUsage() }
        let cpu = Duration.seconds(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + .microseconds(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
        return ThreadUsage(cpu: cpu, waits: Int(usage.ru_nvcsw))
        #else
        return ThreadUsage()
        #endif
    }
}
