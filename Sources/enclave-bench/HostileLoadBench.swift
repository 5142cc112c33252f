import EnclaveClient
import EnclaveProtocol
@_spi(Benchmark) import EnclaveServer
import Egress
import Foundation
import NIOCore
import NIOPosix

/// Item 14: one app's `hello` while other apps attack the execution slots, over real TLS to an
/// in-process server with the default limits (8 slots, 2 per app, 30 s time limit, max_fuel cap
/// 1e9): 8 HTTPS fetches from a server that accepts connections and never answers, 8 calls that
/// loop until the max_fuel cap runs out, and both together. Each attacker sends its next call as
/// soon as the last is answered.
enum HostileLoadBench {
    static func run(_ options: Options, report: Report) async throws {
        // Accepts, never reads, never writes: a TLS handshake with it waits until a timeout.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.autoRead, value: false)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        guard let silentPort = silent.localAddress?.port else { throw BenchError("the silent server has no port") }
        let egress = try HTTPSEgress(configuration: EgressConfiguration(
            resolve: try EgressConfiguration.parseResolve(["silent.example:443=127.0.0.1:\(silentPort)"])))
        defer { try? egress.syncShutdown() }
        let directory = try BenchServers.makeDataDirectory("hostile")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (server, port) = try await BenchServers.startInProcess(dataDirectory: directory, egress: egress)
        do {
            try await measure(options, report: report, port: port)
        } catch {
            await server.shutdown(gracePeriod: .zero)
            throw error
        }
        // The attackers' calls still running are stopped, not waited for.
        await server.shutdown(gracePeriod: .zero)
    }

    private static func measure(_ options: Options, report: Report, port: Int) async throws {
        let manager = try await EnclaveConnection.connect(port: port)
        try await ServerSideCalls.load(manager, name: "victim", bytes: try options.bytes(Guests.testGuest))
        try await ServerSideCalls.load(manager, name: "fetcher", bytes: try options.bytes(Guests.egressProbe))
        let looper = try await manager.management(ManagementMessages.load(
            name: "looper", bytes: try options.bytes(Guests.benchGuest), base64: true, maxFuel: 1_000_000_000))
        guard looper["status"]?.stringValue == "loaded" else { throw BenchError("looper: \(looper.serializedString)") }

        let hello = ManagementMessages.call(app: "victim", function: "hello", params: [])
        let fetch = ManagementMessages.call(app: "fetcher", function: "probe", params: try typed([
            #"{"type":"u32","value":0}"#, #"{"type":"string","value":"https://silent.example/"}"#, #"{"type":"bytes","value":[]}"#,
        ]))
        let loop = ManagementMessages.call(app: "looper", function: "loop", params: try typed([#"{"type":"u32","value":4000000000}"#]))
        let iterations = options.scaled(400, quick: 50)

        let idle = try await helloLatency(manager, hello, iterations: iterations)
        report.add(Row(item: 14, metric: "`hello` of one app, no other load (p50 / p99, TLS round trip)",
                       figure: Format.microsPair(idle), target: "—", met: nil))
        for (label, attack) in [("8 HTTPS fetches from a server that never answers", [(fetch, 8)]),
                                ("8 calls looping to the max_fuel cap (1e9)", [(loop, 8)]),
                                ("both attacks together (16 calls)", [(fetch, 8), (loop, 8)])] {
            let attackers = try await startAttackers(port: port, attack)
            try await Task.sleep(for: .milliseconds(300))  // every attacker's call is in
            let during = try await helloLatency(manager, hello, iterations: iterations)
            for attacker in attackers { attacker.cancel() }
            report.add(Row(item: 14, metric: "`hello` of one app during \(label) of other apps (p50 / p99)",
                           figure: Format.microsPair(during), target: "p99 within a few ms of the idle p99", met: nil))
            progress("  during \(label): hello \(Format.microsPair(during))")
        }
        report.note("Item 14: an in-process server with the default call limits; the attackers keep their calls in flight on "
            + "their own connections; both attacker apps hold at most 2 of the 8 slots (a fetch waiting for its response "
            + "holds none). On 2 cores, two looping calls compete with the hello for CPU time, not for a slot.")
        await manager.close()
    }

    private static func typed(_ values: [String]) throws -> [JSON] {
        try values.map { try JSON.parse(Array($0.utf8)) }
    }

    /// Round trips of `hello`, one after another.
    private static func helloLatency(_ connection: EnclaveConnection, _ hello: JSON, iterations: Int) async throws -> Samples {
        for _ in 0..<10 { _ = try await connection.management(hello) }
        var samples = Samples(capacity: iterations)
        for _ in 0..<iterations {
            let start = now()
            let answer = try await connection.management(hello)
            samples.add(now() - start)
            guard answer["status"]?.stringValue == "ok" else { throw BenchError("hello failed: \(answer.serializedString)") }
        }
        return samples
    }

    /// One connection per attacking call, each sending its call again as soon as it is answered,
    /// until its task is cancelled (a call in flight then ends with the server's shutdown).
    private static func startAttackers(port: Int, _ attack: [(JSON, Int)]) async throws -> [Task<Void, Never>] {
        var tasks: [Task<Void, Never>] = []
        for (call, count) in attack {
            for _ in 0..<count {
                let connection = try await EnclaveConnection.connect(port: port)
                tasks.append(Task {
                    while !Task.isCancelled {
                        guard (try? await connection.management(call)) != nil else { break }
                    }
                    await connection.close()
                })
            }
        }
        return tasks
    }
}
