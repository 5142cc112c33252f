import Foundation

/// CPU time (user + system) a process has used, from /proc (Linux): what a request costs the
/// server and the benchmark's own client, apart from the time spent waiting. On a shared machine
/// wall-clock latencies move with the other load; CPU time per request moves much less.
enum CPUTime {
    /// Clock ticks per second of the `utime`/`stime` fields.
    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// Seconds of CPU used so far by process `pid` (this process by default); nil off Linux.
    static func seconds(pid: Int32? = nil) -> Double? {
        let path = "/proc/\(pid.map(String.init) ?? "self")/stat"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let end = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }

    /// Seconds of CPU used so far by process `root` and its children (a PostgreSQL server: the
    /// postmaster, its backends, WAL writer and checkpointer); nil off Linux. Children that have
    /// exited are not counted, so measure over phases whose connections stay open.
    static func treeSeconds(root: Int32) -> Double? {
        guard var total = seconds(pid: root),
              let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in entries {
            guard let pid = Int32(entry), pid != root, parent(of: pid) == root, let used = seconds(pid: pid) else { continue }
            total += used
        }
        return total
    }

    /// The parent process of `pid` (field 4 of /proc/PID/stat).
    private static func parent(of pid: Int32) -> Int32? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: end)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// Nanoseconds of CPU this process has used (every thread), at nanosecond resolution: for
    /// in-process phases too short for the clock ticks of `seconds(pid:)`.
    static func processNanoseconds() -> UInt64 {
        var spec = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec) == 0 else { return 0 }
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// CPU µs per operation of the server process and of this (client) process over `body`,
    /// which performs `operations` operations and returns its own result.
    static func perOperation<T>(server: Int32, operations: @escaping (T) -> Int,
                                _ body: () async throws -> T) async rethrows -> (result: T, cost: Cost?) {
        let serverBefore = seconds(pid: server), clientBefore = seconds()
        let result = try await body()
        let count = operations(result)
        guard count > 0, let serverBefore, let clientBefore, let serverAfter = seconds(pid: server),
              let clientAfter = seconds() else { return (result, nil) }
        return (result, Cost(server: (serverAfter - serverBefore) / Double(count) * 1e6,
                             client: (clientAfter - clientBefore) / Double(count) * 1e6))
    }

    /// CPU microseconds per operation.
    struct Cost {
        var server: Double
        var client: Double

        var text: String {
            "CPU per call: server \(Format.number(server)) µs, bench client \(Format.number(client)) µs"
        }
    }
}
