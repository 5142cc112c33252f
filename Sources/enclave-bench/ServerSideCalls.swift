import Components
import EnclaveClient
@_spi(Benchmark) import EnclaveServer
import Foundation

/// Items 1 and 6: what one call costs inside the server, with no network, JSON or thread hop:
/// `LoadedApp.callAsServer` is the server's own call path (a fresh instance and a fresh WASI
/// session over the app's sealed SQLite store), on apps loaded over the real TLS listener of an
/// in-process server.
enum ServerSideCalls {
    static func run(_ options: Options, report: Report) async throws {
        let directory = try BenchServers.makeDataDirectory("calls")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (server, port) = try await BenchServers.startInProcess(dataDirectory: directory)
        do {
            try await measure(options, report: report, server: server, port: port)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    private static func measure(_ options: Options, report: Report, server: EnclaveServer, port: Int) async throws {
        let connection = try await EnclaveConnection.connect(port: port)
        let iterations = options.scaled(3_000, quick: 300)
        let warmup = options.scaled(100, quick: 20)

        // An import-free guest first: the floor of a fresh-instance call through our layer.
        let benchBytes = try options.bytes(Guests.benchGuest)
        try await load(connection, name: "bench", bytes: benchBytes)
        if let bench = server.registry.app(named: "bench") {
            let samples = try Samples.measure(iterations: iterations, warmup: warmup) { _ = try bench.callAsServer("hello", []) }
            report.add(Row(item: 1, metric: "fresh-instance call, bench-guest `hello` (no imports), server-side",
                           figure: Format.microsPair(samples), target: "—", met: nil))
        }

        // The Embedded Swift test guest: what a small compiled guest costs (item 7 calls it).
        try await load(connection, name: "test", bytes: try options.bytes(Guests.testGuest))
        if let test = server.registry.app(named: "test") {
            let samples = try Samples.measure(iterations: iterations, warmup: warmup) { _ = try test.callAsServer("hello", []) }
            report.add(Row(item: 1, metric: "fresh-instance call, test-guest `hello` (Embedded Swift, no imports), server-side",
                           figure: Format.microsPair(samples), target: "—", met: nil))
        }

        let functions: [(item: Int, name: String, arguments: [ComponentValue], target: Double?)] = [
            (1, "hello", [], 5_000),
            (1, "get-random", [], nil),
            (1, "get-time", [], nil),
            (6, "kv-store", [.string("bench-key"), .string("a value of 32 bytes, sealed......")], 100_000),
            (6, "kv-read", [.string("bench-key")], 10_000),
        ]
        let reference: LoadedApp
        do {
            try await load(connection, name: "app", bytes: try options.bytes(Guests.referenceApp))
            guard let app = server.registry.app(named: "app") else { throw BenchError("the app is not in the registry") }
            reference = app
        } catch {
            report.note("The reference app did not load on this server (\(error)), so its rows are n/a; the stand-in rows "
                + "call the WASI conformance guest through the same host paths.")
            let reason = "reference app did not load; see notes"
            for function in functions {
                report.add(.notAvailable(function.item, "`\(function.name)` server-side (p50 / p99)",
                                         target: function.target.map { "≤ \(Format.micros($0)) µs" } ?? "—", reason: reason))
            }
            report.add(.notAvailable(1, "`fetch-headlines` server-side", reason: reason))
            try await measureWithoutReferenceApp(options, report: report, server: server, connection: connection,
                                                 iterations: iterations, warmup: warmup)
            await connection.close()
            return
        }
        for function in functions {
            let samples: Samples
            do {
                samples = try Samples.measure(iterations: function.name == "kv-store" ? iterations / 3 : iterations, warmup: warmup) {
                    _ = try reference.callAsServer(function.name, function.arguments)
                }
            } catch {
                report.add(.notAvailable(function.item, "`\(function.name)` server-side", reason: "call failed: \(error)"))
                continue
            }
            let target = function.target.map { "p50 ≤ \(Format.micros($0)) µs" } ?? "—"
            report.add(Row(item: function.item, metric: "`\(function.name)` fresh-instance call, server-side (p50 / p99)",
                           figure: Format.microsPair(samples), target: target, met: function.target.map { samples.p50 <= $0 }))
        }
        // fetch-headlines waits on an HTTPS round trip to the news fixture; its cost is the
        // network's, and the fixture needs the server's egress configured for its test CA.
        report.add(.notAvailable(1, "`fetch-headlines` server-side",
                                 reason: "network-bound (an HTTPS fetch per call); not measured here"))
        await connection.close()
    }

    /// Stand-ins while the reference app cannot load: the WASI conformance guest reaches the same
    /// host paths (random, wall clock, a file of the sealed store), each row saying so.
    private static func measureWithoutReferenceApp(_ options: Options, report: Report, server: EnclaveServer,
                                                   connection: EnclaveConnection, iterations: Int, warmup: Int) async throws {
        let label = "wasi-conformance guest, stand-in"
        do {
            try await load(connection, name: "wasi", bytes: try options.bytes("Guests/wasi-conformance/wasi-conformance.wasm"))
        } catch {
            progress("  the WASI conformance guest did not load either: \(error)")
            return
        }
        guard let app = server.registry.app(named: "wasi") else { return }
        let value = "a value of 32 bytes, sealed......"
        let calls: [(item: Int, name: String, arguments: [ComponentValue], target: Double?)] = [
            (1, "random-len", [.u64(4)], nil),
            (1, "wall-seconds", [], nil),
            (6, "write-file", [.string("bench-key"), .string(value)], 100_000),
            (6, "read-file", [.string("bench-key")], 10_000),
        ]
        for call in calls {
            do {
                let samples = try Samples.measure(iterations: call.name == "write-file" ? iterations / 3 : iterations, warmup: warmup) {
                    _ = try app.callAsServer(call.name, call.arguments)
                }
                report.add(Row(item: call.item, metric: "`\(call.name)` fresh-instance call, server-side (\(label)) (p50 / p99)",
                               figure: Format.microsPair(samples),
                               target: call.target.map { "p50 ≤ \(Format.micros($0)) µs" } ?? "—",
                               met: call.target.map { samples.p50 <= $0 }))
            } catch {
                report.add(.notAvailable(call.item, "`\(call.name)` (\(label))", reason: "call failed: \(error)"))
            }
        }
    }

    /// Loads a component over the wire (base64) and checks the answer.
    static func load(_ connection: EnclaveConnection, name: String, bytes: [UInt8]) async throws {
        let answer = try await connection.management(ManagementMessages.load(name: name, bytes: bytes, base64: true))
        guard answer["status"]?.stringValue == "loaded" else {
            throw BenchError(answer["message"]?.stringValue ?? answer.serializedString)
        }
    }
}
