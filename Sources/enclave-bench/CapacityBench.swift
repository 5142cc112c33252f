import EnclaveClient
import EnclaveProtocol
import Foundation
import NIOCore
import NIOPosix

/// Item 7: the server process's resident memory with 1,000 small apps loaded, and how many calls
/// it keeps answering when that many are in flight at once.
enum CapacityBench {
    static func run(_ options: Options, report: Report) async throws {
        let server = try ServerProcess.launch(label: "capacity")
        defer { server.stop() }
        let bytes = try options.bytes(Guests.testGuest)
        let manager = try await EnclaveConnection.connect(port: server.port)
        // One load first, so the baseline includes everything the first load brings in.
        try await ServerSideCalls.load(manager, name: "app-0", bytes: bytes)
        let baseline = server.residentBytes() ?? 0
        let count = 1_000
        let start = now()
        for index in 1..<count {
            try await ServerSideCalls.load(manager, name: "app-\(index)", bytes: bytes)
        }
        let loadSeconds = Double(now() - start) / 1e9
        // Calls to the last app prove the apps are usable, and put their instances in memory.
        let check = try await manager.management(ManagementMessages.call(app: "app-\(count - 1)", function: "hello", params: []))
        guard check["status"]?.stringValue == "ok" else { throw BenchError("a call to app-\(count - 1) failed: \(check.serializedString)") }
        let resident = server.residentBytes() ?? 0
        let mib = Double(resident) / 1_048_576
        report.add(Row(item: 7, metric: "server RSS with 1,000 apps loaded (\(bytes.count)-byte test guest, distinct names)",
                       figure: "\(Format.number(mib)) MiB (after 1 app: \(Format.number(Double(baseline) / 1_048_576)) MiB, "
                           + "+\(Format.number(Double(resident - baseline) / Double(count - 1) / 1024)) KiB per app; loaded in \(Format.number(loadSeconds)) s)",
                       target: "1,000 apps in ≤ 256 MiB", met: mib <= 256))
        await manager.close()

        let levels = options.quick ? [64, 256] : [64, 256, 1_024, 2_048]
        let payload = NetworkBench.callPayload(app: "app-\(count - 1)", function: "hello")
        var best: (level: Int, rate: Double)?
        var stoppedBy: String?
        for level in levels {
            do {
                let rate = try await sustain(port: server.port, payload: payload, inFlight: level, seconds: options.quick ? 1 : 2)
                best = (level, rate)
                progress("  \(level) in flight: \(Format.number(rate)) calls/s")
            } catch {
                stoppedBy = "\(level) in flight failed: \(error)"
                break
            }
        }
        let figure = best.map { "\(Format.number(Double($0.level))) calls in flight, all answered (\(Format.number($0.rate)) calls/s)" } ?? "none"
        report.add(Row(item: 7, metric: "max concurrent calls sustained (test-guest `hello`; tried \(levels.map(String.init).joined(separator: ", ")))",
                       figure: figure + (stoppedBy.map { "; \($0)" } ?? ""), target: "—", met: nil))
        report.note("Item 7 reads VmRSS of the server child process from /proc. Concurrent calls: up to 128 TLS connections, "
            + "each pipelining in-flight/128 requests, all to one app: at most 2 of its calls execute at once (--max-calls-per-app, "
            + "a quarter of --max-concurrent-calls 8), the rest wait in order.")
    }

    /// Keeps `inFlight` calls outstanding for about `seconds`; throws if any answer is missing or
    /// is not `ok`. Returns calls per second.
    static func sustain(port: Int, payload: [UInt8], inFlight: Int, seconds: Double) async throws -> Double {
        let group = PipelinedConnection.clientGroup
        let context = try PipelinedConnection.makeContext()
        let connectionCount = min(inFlight, 128)
        let window = inFlight / connectionCount
        var connections: [PipelinedConnection] = []
        defer { for connection in connections { connection.channel.close(promise: nil) } }
        for _ in 0..<connectionCount {
            connections.append(try await PipelinedConnection.connect(port: port, context: context, group: group).get())
        }
        // A calibration round sizes the measured one to about `seconds`.
        var perConnection = window * 4
        var rate = 0.0
        for round in 0..<2 {
            let start = now()
            let futures = connections.map { $0.run(payload: payload, total: perConnection, window: window) }
            for future in futures {
                let result = try await future.get()
                if result.failures > 0 { throw BenchError(result.firstFailure ?? "a call failed") }
            }
            rate = Double(perConnection * connectionCount) / (Double(now() - start) / 1e9)
            if round == 0 { perConnection = max(window, Int(rate * seconds) / connectionCount) }
        }
        return rate
    }
}
