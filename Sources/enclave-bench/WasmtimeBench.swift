import Components
import Foundation

/// Item 5 (and item 1's baseline): the same bench-guest exports on our component layer and on
/// wasmtime (PyPI `wasmtime`, run by Benchmarks/wasmtime_baseline.py), fuel on in both with the
/// same budget; the fuel each engine charged is compared too.
enum WasmtimeBench {
    static let fuel: UInt64 = 10_000_000
    /// Chosen so both runs fit the default 10,000,000 budget (6.7 M and 9.0 M units on wasmtime).
    static let fibN: UInt32 = 27
    static let loopN: UInt32 = 600_000
    /// Small inputs whose fuel is compared path by path (same list as the Python helper).
    static let probes: [(String, UInt32)] = [("fib", 0), ("fib", 1), ("fib", 2), ("fib", 10), ("loop", 0), ("loop", 1), ("loop", 100)]

    static func run(_ options: Options, report: Report) throws {
        let component = try Component.load(try options.bytes(Guests.benchGuest))
        let limits = ExecutionLimits(fuel: fuel)
        let runs = options.scaled(5, quick: 2)

        // Ours: on a fresh instance per run, timing the call only (as the helper does).
        var ours: [String: (nanoseconds: Double, fuel: UInt64)] = [:]
        for (name, n) in [("fib", fibN), ("loop", loopN)] {
            var samples = Samples()
            var consumed: UInt64 = 0
            for _ in 0..<(runs + 1) {
                let session = try component.instantiate(limits: limits)
                let before = session.remainingFuel ?? 0
                let start = now()
                _ = try session.call(name, [.u32(n)])
                samples.add(now() - start)
                consumed = before - (session.remainingFuel ?? 0)
            }
            ours[name] = (samples.p50, consumed)
        }
        var ourProbes: [String: UInt64] = [:]
        for (name, n) in probes {
            ourProbes["\(name)(\(n))"] = try consumedFuel(component, name, [.u32(n)], limits: limits)
        }
        ourProbes["hello()"] = try consumedFuel(component, "hello", [], limits: limits)

        let theirs: [String: Any]
        do {
            theirs = try runHelper(options, runs: runs)
        } catch {
            for name in ["fib", "loop"] {
                report.add(.notAvailable(5, "compute ratio `\(name)` ours / wasmtime", target: "≤ 3×", reason: "\(error)"))
            }
            report.add(.notAvailable(1, "wasmtime fresh-instance `hello` (baseline)", reason: "\(error)"))
            return
        }
        let wrapper = number(theirs["wrapper_call_ns"]) ?? 0
        for (name, n) in [("fib", fibN), ("loop", loopN)] {
            guard let their = theirs[name] as? [String: Any], let net = number(their["net_ns_p50"]),
                  let theirFuel = number(their["fuel_consumed"]), let mine = ours[name] else { continue }
            let ratio = mine.nanoseconds / net
            report.add(Row(item: 5, metric: "compute `\(name)(\(n))`, fuel on: ours / wasmtime",
                           figure: "\(Format.number(ratio))× (ours \(Format.millis(mine.nanoseconds)) ms, wasmtime \(Format.millis(net)) ms)",
                           target: "≤ 3×", met: ratio <= 3))
            let same = UInt64(theirFuel) == mine.fuel
            report.add(Row(item: 5, metric: "fuel charged by `\(name)(\(n))`: ours / wasmtime",
                           figure: "\(mine.fuel) / \(UInt64(theirFuel))" + (same ? " (equal)" : " (differ by \(Int64(mine.fuel) - Int64(theirFuel)))"),
                           target: "equal", met: same))
        }
        if let probeObject = theirs["fuel_probes"] as? [String: Any] {
            let theirProbes = probeObject.compactMapValues(number)
            let keys = (probes.map { "\($0.0)(\($0.1))" } + ["hello()"])
            let cells = keys.map { key in "\(key) \(ourProbes[key].map(String.init) ?? "?")/\(theirProbes[key].map { String(UInt64($0)) } ?? "?")" }
            let equal = keys.allSatisfy { key in ourProbes[key].map(Double.init) == theirProbes[key] }
            report.add(Row(item: 5, metric: "fuel of small calls, ours/wasmtime", figure: cells.joined(separator: ", "),
                           target: "equal", met: equal))
        }
        for (key, label) in [("bench_hello", "bench-guest `hello` (no imports)"), ("app_hello", "reference app `hello` (WASI linked)")] {
            guard let entry = theirs[key] as? [String: Any], let raw = number(entry["raw_ns_p50"]),
                  let rawP99 = number(entry["raw_ns_p99"]) else { continue }
            report.add(Row(item: 1, metric: "baseline: wasmtime fresh-instance \(label), Store + instantiate + call",
                           figure: "\(Format.micros(raw - wrapper)) / \(Format.micros(rawP99 - wrapper)) µs net (raw \(Format.micros(raw)) / \(Format.micros(rawP99)))",
                           target: "—", met: nil))
        }
        report.note("wasmtime figures come from PyPI `wasmtime` \(theirs["version"] as? String ?? "") in Python: the wrapper's own cost "
            + "per call (\(Format.micros(wrapper)) µs, a `loop(0)` call on a live instance) is subtracted from each (\"net\"); "
            + "Store creation and instantiation through the wrapper are not separable and stay in. "
            + "Compute times are one call on a fresh instance, p50 of \(runs) runs, both engines with fuel metering on.")
    }

    /// Fuel one call consumed on a fresh instance of ours.
    static func consumedFuel(_ component: Component, _ name: String, _ arguments: [ComponentValue], limits: ExecutionLimits) throws -> UInt64 {
        let session = try component.instantiate(limits: limits)
        let before = session.remainingFuel ?? 0
        _ = try session.call(name, arguments)
        return before - (session.remainingFuel ?? 0)
    }

    /// Runs the Python helper and decodes its JSON answer.
    static func runHelper(_ options: Options, runs: Int) throws -> [String: Any] {
        try ensureWasmtime()
        let request: [String: Any] = [
            "bench_guest": options.path(Guests.benchGuest), "app": options.path(Guests.referenceApp),
            "fuel": Int(fuel), "fib_n": Int(fibN), "loop_n": Int(loopN), "compute_runs": runs,
            "fresh_runs": options.scaled(3_000, quick: 300),
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
        let (status, out, err) = try python([options.path("Benchmarks/wasmtime_baseline.py"), json])
        guard status == 0, let object = try? JSONSerialization.jsonObject(with: out) as? [String: Any] else {
            throw BenchError("wasmtime_baseline.py failed (\(status)): \(String(decoding: err, as: UTF8.self).suffix(400))")
        }
        return object
    }

    /// A JSON number from JSONSerialization, whichever type it arrived as.
    static func number(_ value: Any?) -> Double? {
        switch value {
        case let value as Double: return value
        case let value as Int: return Double(value)
        case let value as NSNumber: return value.doubleValue
        default: return nil
        }
    }

    /// PyPI `wasmtime` is importable, after one install attempt if it was not.
    static func ensureWasmtime() throws {
        if try python(["-c", "import wasmtime.component"]).status == 0 { return }
        progress("  PyPI wasmtime missing: python3 -m pip install --break-system-packages wasmtime")
        _ = try python(["-m", "pip", "install", "--quiet", "--break-system-packages", "wasmtime"])
        guard try python(["-c", "import wasmtime.component"]).status == 0 else {
            throw BenchError("PyPI wasmtime unavailable (pip install failed)")
        }
    }

    static func python(_ arguments: [String]) throws -> (status: Int32, out: Data, err: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let errFile = NSTemporaryDirectory() + "enclave-bench-python-\(getpid()).err"
        _ = FileManager.default.createFile(atPath: errFile, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errFile) }
        let outPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = FileHandle(forWritingAtPath: errFile)
        try process.run()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, out, FileManager.default.contents(atPath: errFile) ?? Data())
    }
}
