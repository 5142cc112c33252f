import Foundation

/// One `.wast` script converted by `wasm-tools json-from-wast` into JSON commands and the
/// binaries (or text) of every component it defines.
struct WastScript {
    /// The commands in order, as decoded JSON objects.
    let commands: [[String: Any]]
    /// The directory holding the binaries the commands name.
    let directory: URL

    enum ConversionError: Error, CustomStringConvertible {
        case toolFailed(String)
        case badJSON(String)

        var description: String {
            switch self {
            case .toolFailed(let output): return "wasm-tools json-from-wast failed: \(output)"
            case .badJSON(let why): return "unreadable json-from-wast output: \(why)"
            }
        }
    }

    /// Converts `file` with `wasmTools` into a fresh directory under `scratch`.
    static func convert(_ file: URL, wasmTools: String, scratch: URL) throws -> WastScript {
        let directory = scratch.appendingPathComponent(UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let json = directory.appendingPathComponent("script.json")
        let result = try Tool.run(wasmTools, ["json-from-wast", file.path, "-o", json.path, "--wasm-dir", directory.path])
        guard result.status == 0 else { throw ConversionError.toolFailed(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let data = try Data(contentsOf: json)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let commands = object["commands"] as? [[String: Any]] else {
            throw ConversionError.badJSON("no `commands` array")
        }
        return WastScript(commands: commands, directory: directory)
    }

    /// The bytes of a command's component: its binary, or its text assembled by `wasm-tools
    /// parse` (nil, with the tool's message, when the text does not assemble).
    func component(_ command: [String: Any], wasmTools: String) throws -> Result<[UInt8], WastFailure> {
        guard let filename = command["filename"] as? String else {
            return .failure(WastFailure("command has no filename"))
        }
        let url = directory.appendingPathComponent(filename)
        if (command["module_type"] as? String) == "text" {
            let output = url.appendingPathExtension("wasm")
            let result = try Tool.run(wasmTools, ["parse", url.path, "-o", output.path])
            guard result.status == 0 else { return .failure(WastFailure("text does not assemble: \(result.output)")) }
            return .success([UInt8](try Data(contentsOf: output)))
        }
        return .success([UInt8](try Data(contentsOf: url)))
    }
}

/// Why a command failed (or, for a text module, why it did not assemble).
struct WastFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs an external tool and collects its combined output.
enum Tool {
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
