import Foundation
import XCTest
@testable import Components

/// The `resources` fixture run by PyPI `wasmtime` (Fixtures/resources/wasmtime_reference.py,
/// same host semantics) and by us: results, destructor events and guest notes must be equal.
final class ResourceDifferentialTests: XCTestCase {
    /// What one export call produced: a u32, nothing, or a trap; plus the host's observations.
    struct Outcome: Equatable, CustomStringConvertible {
        var result: String
        var events: [String]
        var notes: [UInt32]
        var description: String { "\(result) events=\(events.count)\(events.prefix(3)) notes=\(notes)" }
    }

    static let calls: [(label: String, export: String, arguments: [ComponentValue])] = [
        ("basic", "basic", []), ("drop-twice", "drop-twice", []), ("use-after-drop", "use-after-drop", []),
        ("wrong-type", "wrong-type", []), ("out-of-range", "out-of-range", []), ("lend-and-move", "lend-and-move", []),
        ("many(0)", "many", [.u32(0)]), ("many(1)", "many", [.u32(1)]), ("many(1000)", "many", [.u32(1000)]),
        ("use-acc", "use-acc", []), ("tag", "tag", []),
    ]

    /// Runs the wasmtime reference, or fails the test and returns nil when it cannot run.
    static func wasmtimeOutcomes() throws -> [String: Outcome]? {
        let script = Fixtures.directory.appendingPathComponent("resources/wasmtime_reference.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, Fixtures.directory.appendingPathComponent("resources.wasm").path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let json = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else {
            XCTFail("PyPI wasmtime is not usable here: run `python3 -m pip install -r tests/requirements.txt` "
                + "(scripts/test does this before any test)")
            return nil
        }
        return json.mapValues { entry in
            let result: String
            switch entry["result"] {
            case let number as NSNumber: result = "u32:\(number.uint32Value)"
            case let text as String: result = text
            default: result = "none"
            }
            return Outcome(result: result, events: entry["events"] as? [String] ?? [],
                           notes: (entry["notes"] as? [NSNumber] ?? []).map(\.uint32Value))
        }
    }

    func testResultsEqualWasmtime() throws {
        guard let reference = try Self.wasmtimeOutcomes() else { return }  // wasmtimeOutcomes failed the test
        let component = try ResourceTests.component()
        for (label, export, arguments) in Self.calls {
            let state = CounterHostState()
            var result: String
            do {
                let values = try component.call(export, arguments, session: state)
                switch values.first {
                case .u32(let x)?: result = "u32:\(x)"
                case nil: result = "none"
                case let other?: result = "\(other)"
                }
            } catch ComponentError.trap {
                result = "trap"
            }
            let ours = Outcome(result: result, events: state.events, notes: state.notes)
            XCTAssertEqual(ours, reference[label], label)
        }
    }
}
