import Foundation

// enclave-bench: every performance figure of the README in one run.
// `swift run -c release enclave-bench [--quick] [--only GROUP,…]`; see Options.swift.

let options: Options
do {
    options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    progress("\(error)")
    exit(2)
}

if let directory = options.serveDataDirectory {
    // The server child process of ServerProcess.
    do {
        try await ServeMode.run(dataDirectory: directory, cluster: options.serveCluster, inlineCallLimit: options.inlineCallLimit,
                                eventLoopThreads: options.serveEventLoopThreads)
        exit(0)
    } catch {
        progress("server failed: \(error)")
        exit(1)
    }
}

#if DEBUG
progress("warning: a debug build; WasmKit is ~100× slower than in release (use swift run -c release enclave-bench)")
#endif

/// The 1-minute load average: the machine is shared, and a busy one makes every figure worse.
func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
}

var haltPollOverride: VCPUIdle.HaltPollOverride?
if let window = options.guestHaltPollNanoseconds {
    do {
        haltPollOverride = try VCPUIdle.setGuestHaltPoll(nanoseconds: window)
    } catch {
        progress("\(error)")
        exit(2)
    }
}
let idleVCPUs = VCPUIdle.describe(setForRun: haltPollOverride != nil)

let report = Report()
let started = now()
let loadAtStart = loadAverage()
for group in Options.Group.allCases where options.only.contains(group) {
    progress("[\(group.rawValue)]")
    do {
        switch group {
        case .calls: try await ServerSideCalls.run(options, report: report)
        case .wasmtime: try WasmtimeBench.run(options, report: report)
        case .rtt: try await NetworkBench.run(options, report: report, roundTrip: true, throughput: false)
        case .throughput: try await NetworkBench.run(options, report: report, roundTrip: false, throughput: true)
        case .load: try await LoadBench.run(options, report: report)
        case .capacity: try await CapacityBench.run(options, report: report)
        case .handshakes: try await HandshakeBench.run(options, report: report)
        case .large: try await StreamedLoadBench.run(options, report: report)
        case .values: try await LargeValueBench.run(options, report: report)
        case .python: try await ComponentizePyBench.run(options, report: report)
        case .store: try await StoreBench.run(options, report: report)
        case .reads: try await StoreBench.runReads(options, report: report)
        case .cluster: try await ClusterBench.run(options, report: report)
        case .hostile: try await HostileLoadBench.run(options, report: report)
        }
    } catch {
        let item = [Options.Group.calls: 1, .wasmtime: 5, .rtt: 2, .throughput: 3, .load: 4, .capacity: 7, .handshakes: 8,
                    .large: 9, .values: 10, .python: 11, .store: 12, .reads: 12, .cluster: 13, .hostile: 14][group] ?? 0
        report.add(.notAvailable(item, "group `\(group.rawValue)`", reason: "\(error)"))
    }
}
haltPollOverride?.restore()
#if DEBUG
let buildKind = "DEBUG build (not representative; use swift run -c release enclave-bench)"
#else
let buildKind = "release build"
#endif
let elapsed = Double(now() - started) / 1e9
report.note("Run: \(options.quick ? "--quick, " : "")\(ProcessInfo.processInfo.activeProcessorCount) cores, "
    + "\(Format.number(elapsed)) s in total, 1-minute load average \(loadAtStart) at the start and \(loadAverage()) at the end; "
    + "\(buildKind); \(idleVCPUs); every figure is from this one run.")
print(report.markdown())
