import Foundation
import XCTest
import Components

/// Nested components against wasmtime: the hand-written `nested.wasm` (nested components with
/// their own core modules calling each other: strings transcoded between UTF-8 and UTF-16,
/// lists, resources owned and borrowed across instances, post-return) and `composed.wasm`
/// (`wasm-tools compose` of two wit-component outputs). Fresh-instance calls on random inputs
/// are compared by `testCommittedComponentsAgreeWithWasmtime`; here, call sequences in ONE
/// instance, whose answers depend on state kept across the whole tree.
final class NestedComponentDifferentialTests: XCTestCase {
    static let fixtures = GuestFiles.repositoryRoot.appendingPathComponent("Tests/ComponentsTests/Fixtures")
    static let limits = ExecutionLimits(fuel: 50_000_000, maxMemoryBytes: 64 << 20)

    /// Runs `calls` in one session here and in one instance on wasmtime; every answer must agree.
    func compareSession(_ file: String, _ calls: [(String, [ComponentValue])]) throws {
        guard Oracle.requireAvailable() else { return }
        let url = Self.fixtures.appendingPathComponent(file)
        let component = try Component.load([UInt8](try Data(contentsOf: url)))
        let session = try component.instantiate(limits: Self.limits)
        var requests: [(export: String, argumentsJSON: String)] = []
        var ours: [Oracle.Outcome] = []
        for (name, arguments) in calls {
            let export = try XCTUnwrap(component.export(named: name), name)
            requests.append((name, try ValueJSON.encode(arguments, export.type.params.map(\.type), exactNaN: true)))
            do {
                ours.append(.ok(try ValueJSON.encode(try session.call(name, arguments), export.type.results.map(\.type))))
            } catch {
                ours.append(.trap(String(describing: error)))
            }
        }
        let wasmtime = try Oracle.callInSession(url, requests, fuel: Self.limits.fuel)
        for (request, (mine, theirs)) in zip(requests, zip(ours, wasmtime)) {
            switch (mine, theirs) {
            case (.ok(let a), .ok(let b)): XCTAssertEqual(a, b, "\(file) \(request.export)(\(request.argumentsJSON))")
            case (.trap, .trap): continue
            default: XCTFail("\(file) \(request.export)(\(request.argumentsJSON)): ours \(mine), wasmtime \(theirs)")
            }
        }
        print("DIFF: \(file) session: \(calls.count) calls compared with wasmtime")
    }

    func testNestedSessionAgreesWithWasmtime() throws {
        var calls: [(String, [ComponentValue])] = [
            ("text-calls", []), ("shout", [.string("héllo wörld")]), ("text-calls", []),
            ("total", [.u32(1), .u32(2), .u32(.max)]), ("text-calls", []), ("text2-calls", []),
            ("tally", [.u32(5), .u32(3)]), ("live-counters", []),
            ("handles", [.u32(3)]), ("live-counters", []), ("handles", [.u32(0)]), ("live-counters", []),
            ("upper", [.string("a😀ß")]), ("sum", [.list([.u32(.max), .u32(.max), .u32(7)])]),
            ("shout", [.string("")]), ("text-calls", []),
            ("text-grow-10", []), ("text2-grow-12", []), ("text-grow-10", []), ("shout", [.string("after growing")]),
        ]
        var rng = SeededRandom(seed: 0x4E57_ED)
        for _ in 0..<40 {
            switch rng.next() % 5 {
            case 0: calls.append(("shout", [ValueFactory.random(for: .string, &rng)]))
            case 1: calls.append(("tally", [.u32(UInt32(truncatingIfNeeded: rng.next())), .u32(UInt32(truncatingIfNeeded: rng.next()))]))
            case 2: calls.append(("handles", [.u32(UInt32(truncatingIfNeeded: rng.next()))]))
            case 3: calls.append(("total", [.u32(UInt32(truncatingIfNeeded: rng.next())), .u32(7), .u32(UInt32(truncatingIfNeeded: rng.next()))]))
            default: calls.append(("live-counters", []))
            }
        }
        calls.append(("text-calls", []))
        try compareSession("nested.wasm", calls)
    }

    func testComposedSessionAgreesWithWasmtime() throws {
        // The provider counts the bytes logged across calls; `run` logs, so answers grow.
        try compareSession("composed.wasm", [
            ("run", [.u32(5)]), ("run", [.u32(5)]), ("relay", [.string("hey")]), ("run", [.u32(.max)]),
            ("relay", [.string("mixed Case ü")]), ("run", [.u32(0)]),
        ])
    }
}
