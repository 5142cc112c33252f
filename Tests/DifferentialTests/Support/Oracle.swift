import Foundation
import Synchronization
import XCTest
import Components

/// Runs `Guests/wasmtime_oracle.py` (PyPI `wasmtime`) as a subprocess.
enum Oracle {
    static let script = GuestFiles.guestsDirectory.appendingPathComponent("wasmtime_oracle.py")

    /// Whether `import wasmtime.component` works. The test command (`scripts/test`) installs the
    /// pinned PyPI `wasmtime` from `tests/requirements.txt` before any test runs; a missing oracle
    /// is a failure of the run (see `requireAvailable`), never a silent skip.
    static let isAvailable: Bool = (try? run(["-c", "import wasmtime.component"]))?.status == 0

    /// Fails the calling test when the oracle cannot run, naming the way to install it.
    static func requireAvailable(file: StaticString = #filePath, line: UInt = #line) -> Bool {
        if isAvailable { return true }
        XCTFail("PyPI wasmtime is not importable: run `python3 -m pip install -r tests/requirements.txt` "
            + "(scripts/test does this before any test)", file: file, line: line)
        return false
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Exports (signature as canonical text) and imports (signatures) as wasmtime sees them.
    static func describe(_ component: URL) throws -> (exports: [String: String], imports: [String: WITFunctionType]) {
        let json = try runJSON(["--describe", component.path], stdin: nil)
        let exports = json["exports"] as? [String: String] ?? [:]
        var imports: [String: WITFunctionType] = [:]
        for (name, signature) in json["imports"] as? [String: Any] ?? [:] {
            imports[name] = try ValueJSON.decodeSignature(signature)
        }
        return (exports, imports)
    }

    /// One wasmtime outcome: the canonical text of the results, or a trap message.
    enum Outcome: Equatable {
        case ok(String)
        case trap(String)
    }

    /// Runs every call in a fresh wasmtime instance, all in one Python process.
    static func call(_ component: URL, _ calls: [(export: String, argumentsJSON: String)], fuel: UInt64) throws -> [Outcome] {
        let list = calls.map { "{\"export\":\(ValueJSON.quote($0.export)),\"args\":\($0.argumentsJSON)}" }.joined(separator: ",")
        let request = "{\"component\":\(ValueJSON.quote(component.path)),\"fuel\":\(fuel),\"calls\":[\(list)]}"
        let json = try runJSON(["--batch"], stdin: Data(request.utf8))
        guard let results = json["results"] as? [[String: String]], results.count == calls.count else {
            throw Failure(description: "oracle returned no results list")
        }
        return results.map { r in r["ok"].map(Outcome.ok) ?? .trap(r["trap"] ?? "?") }
    }

    /// Runs the calls in order in ONE wasmtime instance (state carries over between them).
    static func callInSession(_ component: URL, _ calls: [(export: String, argumentsJSON: String)], fuel: UInt64) throws -> [Outcome] {
        let list = calls.map { "{\"export\":\(ValueJSON.quote($0.export)),\"args\":\($0.argumentsJSON)}" }.joined(separator: ",")
        let request = "{\"component\":\(ValueJSON.quote(component.path)),\"fuel\":\(fuel),\"session\":true,\"calls\":[\(list)]}"
        let json = try runJSON(["--batch"], stdin: Data(request.utf8))
        guard let results = json["results"] as? [[String: String]], results.count == calls.count else {
            throw Failure(description: "oracle returned no results list")
        }
        return results.map { r in r["ok"].map(Outcome.ok) ?? .trap(r["trap"] ?? "?") }
    }

    /// Like `call`, and also the fuel wasmtime consumed for each call (instantiation included),
    /// nil for a call that trapped.
    static func callReportingFuel(_ component: URL, _ calls: [(export: String, argumentsJSON: String)],
                                  fuel: UInt64) throws -> [(outcome: Outcome, fuel: UInt64?)] {
        let list = calls.map { "{\"export\":\(ValueJSON.quote($0.export)),\"args\":\($0.argumentsJSON)}" }.joined(separator: ",")
        let request = "{\"component\":\(ValueJSON.quote(component.path)),\"fuel\":\(fuel),\"report_fuel\":true,\"calls\":[\(list)]}"
        let json = try runJSON(["--batch"], stdin: Data(request.utf8))
        guard let results = json["results"] as? [[String: String]], results.count == calls.count else {
            throw Failure(description: "oracle returned no results list")
        }
        return results.map { r in (r["ok"].map(Outcome.ok) ?? .trap(r["trap"] ?? "?"), r["fuel"].flatMap { UInt64($0) }) }
    }

    private static func runJSON(_ arguments: [String], stdin: Data?) throws -> [String: Any] {
        let (status, out, err) = try run([script.path] + arguments, stdin: stdin)
        guard status == 0, let json = try JSONSerialization.jsonObject(with: out) as? [String: Any] else {
            throw Failure(description: "wasmtime_oracle.py \(arguments.first ?? "") failed (\(status)): \(String(decoding: err, as: UTF8.self))")
        }
        return json
    }

    @discardableResult
    static func run(_ arguments: [String], stdin: Data? = nil) throws -> (status: Int32, out: Data, err: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        // The request goes through a file, so a large one cannot deadlock against a full stdout pipe.
        var inputFile: URL?
        if let stdin {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("oracle-\(UUID().uuidString).json")
            try stdin.write(to: url)
            process.standardInput = try FileHandle(forReadingFrom: url)
            inputFile = url
        }
        defer { if let inputFile { try? FileManager.default.removeItem(at: inputFile) } }
        try process.run()
        // stderr is drained on its own thread so neither pipe can fill up and block Python.
        final class Box: Sendable { let data = Mutex(Data()) }
        let err = Box()
        let errReader = Thread {
            let data = errPipe.fileHandleForReading.readDataToEndOfFile()
            err.data.withLock { $0 = data }
        }
        errReader.start()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errReader.isFinished { usleep(1000) }
        return (process.terminationStatus, out, err.data.withLock { $0 })
    }
}

/// Facts about the generated all-types guest (`Guests/all-types/`).
enum DifferentialGuest {
    static let url = GuestFiles.guestsDirectory.appendingPathComponent("all-types.wasm")
    static let hostInstance = "enclaveos:diff/host"

    /// The functions of `enclaveos:diff/host`, as the generator listed them.
    static let hostFunctionNames: [String] = {
        let list = GuestFiles.guestsDirectory.appendingPathComponent("all-types/host-functions.txt")
        return ((try? String(contentsOf: list, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }()

    /// Loads the guest with host functions typed like the `echo` interface's functions of the same
    /// name (the generator gives host, echo and via-host identical signatures). The first load only
    /// discovers those types.
    static func load() throws -> Component {
        var placeholder = HostImports()
        for name in hostFunctionNames {
            placeholder.define(instance: hostInstance, function: name, HostFunction { _ in [] })
        }
        let bytes = [UInt8](try Data(contentsOf: url))
        let probe = try loadTolerant(bytes, imports: placeholder).component
        var signatures: [String: WITFunctionType] = [:]
        for name in hostFunctionNames {
            guard let echo = probe.export(named: "enclaveos:diff/echo/\(name)") else { continue }
            signatures["\(hostInstance)/\(name)"] = echo.type
        }
        return try loadTolerant(bytes, imports: HostTransform.imports(signatures)).component
    }
}

/// Loads a component; an instance import that our layer reports missing although no function of
/// it is imported (a type-only interface such as `enclaveos:diff/types`, which wasmtime
/// instantiates without) is registered empty and the load retried. Returns those names, so the
/// difference is reported rather than hidden.
func loadTolerant(_ bytes: [UInt8], imports: HostImports) throws -> (component: Component, typeOnlyInstances: [String]) {
    var imports = imports
    var added: [String] = []
    while true {
        do {
            return (try Component.load(bytes, imports: imports), added)
        } catch ComponentError.missingImport(let name) where imports.instances[name] == nil && added.count < 8 {
            imports.instances[name] = [:]
            added.append(name)
        }
    }
}
