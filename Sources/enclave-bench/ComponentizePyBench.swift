import Components
@_spi(Benchmark) import EnclaveServer
import Foundation

/// Item 10: a large-memory app, the ~18 MB componentize-py component (CPython inside, tens of
/// MB of linear memory), built by `Tests/DifferentialTests/Guests/componentize-py/build.sh`:
/// its load through the server's load path, its first call, and steady fresh-instance calls of
/// `add`, beside wasmtime (PyPI) on the same component.
enum ComponentizePyBench {
    static let builder = "Tests/DifferentialTests/Guests/componentize-py/build.sh"
    static let arguments: [ComponentValue] = [.u32(.max), .u32(3)]
    /// CPython executes many instructions per call and takes tens of MiB: limits an operator
    /// would give such an app (`--max-fuel`, `--max-memory`).
    static let limits = ExecutionLimits(fuel: 1_000_000_000, maxMemoryBytes: 256 << 20)

    /// Where the component is: `$ENCLAVE_COMPONENTIZE_PY_WASM`, else the build script's default.
    static var path: String {
        ProcessInfo.processInfo.environment["ENCLAVE_COMPONENTIZE_PY_WASM"] ?? ".build/guests/componentize-py.wasm"
    }

    static func run(_ options: Options, report: Report) async throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = "no component at \(path); build it with \(builder)"
            report.add(.notAvailable(10, "componentize-py component: load, first and steady `add`", target: "load ≤ 3 s, steady ≤ 1 ms", reason: reason))
            return
        }
        let bytes = [UInt8](data)
        let size = "\(Format.number(Double(bytes.count) / 1_048_576)) MiB"
        let started = now(), startedCPU = threadCPUTime()
        _ = try EnclaveServer.parseComponent(bytes)
        let componentLoad = Double(now() - started), componentLoadCPU = threadCPUTime() - startedCPU

        let directory = try BenchServers.makeDataDirectory("python")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (server, _) = try await BenchServers.startInProcess(dataDirectory: directory, limits: limits)
        let measured: (serverLoad: Double, firstCall: Double, steady: Samples)
        do {
            measured = try measure(options, server: server, bytes: bytes)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
        let (serverLoad, firstCall, steady) = measured

        let theirs = try? wasmtime(options)
        let their = { (key: String) in theirs.flatMap { WasmtimeBench.number($0[key]) } }
        let beside = { (key: String, unit: (Double) -> String) in their(key).map { " (wasmtime \(unit($0)))" } ?? "" }
        report.add(Row(item: 10, metric: "componentize-py component (\(size)): `Component.load` (parse, link, validate every body)",
                       figure: "\(Format.millis(componentLoad)) ms (\(Format.millis(componentLoadCPU)) ms of CPU)"
                           + beside("compile_ns") { "compile \(Format.millis($0)) ms" },
                       target: "≤ 3,000 ms", met: componentLoad <= 3e9))
        report.add(Row(item: 10, metric: "componentize-py component: the server's load path without transport (load + seal + commit)",
                       figure: "\(Format.millis(serverLoad)) ms", target: "≤ 3,000 ms", met: serverLoad <= 3e9))
        report.add(Row(item: 10, metric: "componentize-py `add`: first call (instantiation, snapshot, call), server-side",
                       figure: "\(Format.millis(firstCall)) ms" + beside("first_call_ns") { "\(Format.millis($0)) ms" },
                       target: "—", met: nil))
        report.add(Row(item: 10, metric: "componentize-py `add`: steady fresh-instance call, server-side (p50 / p99)",
                       figure: Format.microsPair(steady) + beside("fresh_ns_p50") { "fresh instance \(Format.micros($0)) µs p50" },
                       target: "p50 ≤ 1,000 µs", met: steady.p50 <= 1e6))
        if let theirs {
            report.note("Item 10 wasmtime figures: PyPI `wasmtime` \(theirs["version"] as? String ?? "") in Python, fuel on, WASI linked "
                + "(`add_wasip2`); compile = `Component.from_file` (Cranelift), fresh instance = Store + WASI + instantiate + call, "
                + "warm call on one instance \(their("warm_ns_p50").map { Format.micros($0) } ?? "?") µs p50 (all with the "
                + "Python wrapper's own cost in). `add` used \(their("call_fuel").map { Format.number($0) } ?? "?") units of wasmtime fuel.")
        } else {
            report.note("Item 10: wasmtime figures unavailable (Benchmarks/wasmtime_baseline.py failed).")
        }
    }

    /// The server's load path, the first call and steady calls.
    private static func measure(_ options: Options, server: EnclaveServer, bytes: [UInt8]) throws -> (Double, Double, Samples) {
        var started = now()
        let app = try server.loadAsServer(name: "python", bytes: bytes)
        let serverLoad = Double(now() - started)
        started = now()
        let first = try app.callAsServer("add", arguments)
        let firstCall = Double(now() - started)
        guard first == [.u32(2)] else { throw BenchError("add(u32.max, 3) answered \(first), not [u32(2)]") }
        let steady = try Samples.measure(iterations: options.scaled(300, quick: 30), warmup: 5) { _ = try app.callAsServer("add", arguments) }
        return (serverLoad, firstCall, steady)
    }

    /// CPU time of the calling thread, in nanoseconds: what a load costs without the other
    /// processes of a shared machine (the load runs on one thread).
    static func threadCPUTime() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1e9 + Double(time.tv_nsec)
    }

    /// wasmtime's figures for the same component and call.
    private static func wasmtime(_ options: Options) throws -> [String: Any] {
        try WasmtimeBench.ensureWasmtime()
        let request: [String: Any] = [
            "large_component": path, "fuel": Int(limits.fuel), "export": "add", "args": [Int(UInt32.max), 3],
            "fresh_runs": options.scaled(100, quick: 10), "warm_runs": options.scaled(2000, quick: 100),
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
        let (status, out, err) = try WasmtimeBench.python([options.path("Benchmarks/wasmtime_baseline.py"), json])
        guard status == 0, let object = try JSONSerialization.jsonObject(with: out) as? [String: Any] else {
            throw BenchError("wasmtime_baseline.py failed (\(status)): \(String(decoding: err, as: UTF8.self).suffix(400))")
        }
        return object
    }
}
