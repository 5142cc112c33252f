import Components
import Foundation
import XCTest

/// Large lists and strings through the canonical ABI's block paths (`list<u8>` as `.bytes`,
/// lists of scalars decoded from one buffer), against wasmtime on the all-types guest: echoes
/// (guest → host results) and via-host calls (host-import arguments lifted, results lowered).
final class LargeValueDifferentialTests: XCTestCase {
    static let limits = ExecutionLimits(fuel: 50_000_000, maxMemoryBytes: 64 << 20)

    func largeCalls() throws -> [(name: String, arguments: [ComponentValue])] {
        var rng = SeededRandom(seed: 0x1A46E)
        let bytes = (0..<(256 << 10)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let specials = ValueFactory.specialF64
        let matrix = ComponentValue.list((0..<200).map { row in
            .list((0..<50).map { column in
                .f64(rng.oneIn(4) ? specials[(row + column) % specials.count] : Double(bitPattern: rng.next()))
            })
        })
        let strings = ComponentValue.list((0..<2000).map { index in
            .string(String(repeating: "é日🦀a", count: index % 7) + String(index))
        })
        var calls: [(String, [ComponentValue])] = []
        for interface in ["echo", "via-host"] {
            calls.append(("enclaveos:diff/\(interface)/echo-bytes", [.bytes(bytes)]))
            calls.append(("enclaveos:diff/\(interface)/echo-bytes", [.list(bytes.prefix(4096).map(ComponentValue.u8))]))
            calls.append(("enclaveos:diff/\(interface)/echo-matrix", [matrix]))
            calls.append(("enclaveos:diff/\(interface)/echo-strings", [strings]))
        }
        return calls
    }

    func testLargeValuesAgreeWithWasmtime() throws {
        let component = try DifferentialGuest.load()
        let calls = try largeCalls()
        var ours: [Oracle.Outcome] = []
        var json: [(export: String, argumentsJSON: String)] = []
        for (name, arguments) in calls {
            let export = try XCTUnwrap(component.export(named: name), name)
            let types = export.type.params.map(\.type)
            json.append((name, try ValueJSON.encode(arguments, types, exactNaN: true)))
            let results = try component.call(name, arguments, limits: Self.limits)
            if name.hasSuffix("/echo-bytes") {
                guard case .bytes? = results.first else { return XCTFail("\(name): a list<u8> result should be lifted as .bytes") }
            }
            let encoded = try ValueJSON.encode(results, export.type.results.map(\.type))
            // An echo gives its input back (NaNs compared as NaN; large values are not printed).
            if name.contains("/echo/") { XCTAssertTrue(encoded == (try ValueJSON.encode(arguments, types)), "\(name) did not echo its input") }
            ours.append(.ok(encoded))
        }
        guard Oracle.requireAvailable() else { return }
        let wasmtime = try Oracle.call(DifferentialGuest.url, json, fuel: Self.limits.fuel)
        XCTAssertEqual(wasmtime.count, ours.count)
        for (index, (mine, theirs)) in zip(ours, wasmtime).enumerated() {
            XCTAssertTrue(mine == theirs, "\(calls[index].name): ours and wasmtime differ")
        }
    }
}
