import Foundation
import XCTest
import Components

/// Our component layer against wasmtime (PyPI `wasmtime`, component API) on the same components
/// and inputs. Nothing expected is written here: wasmtime's answer is the expectation, plus two
/// self-checks that need no oracle (an echo returns its input; a via-host call returns the host
/// transform of its input).
final class DifferentialTests: XCTestCase {
    /// Random inputs per export, on top of the neutral default input. Fixed seed: reproducible.
    static let randomInputsPerExport = 24
    static let seed: UInt64 = 0xD1FF_2025
    static let limits = ExecutionLimits(fuel: 2_000_000, maxMemoryBytes: 64 << 20)

    struct Call {
        var export: ExportedFunction
        var arguments: [ComponentValue]
        var argumentsJSON: String
    }

    /// Default + seeded random arguments for every export (`seedSalt` keeps components independent).
    static func calls(for component: Component, seedSalt: String, randomCount: Int = randomInputsPerExport) throws -> [Call] {
        var calls: [Call] = []
        for export in component.exports {
            var rng = SeededRandom(seed: seed ^ stableHash(seedSalt + "|" + export.name))
            let types = export.type.params.map(\.type)
            var inputs = [types.map(ValueFactory.defaultValue(for:))]
            // `grow` answers depend on the memory limit, which differs between the engines by design.
            let count = export.name == "grow" || types.isEmpty ? 0 : randomCount
            for _ in 0..<count { inputs.append(types.map { ValueFactory.random(for: $0, &rng) }) }
            for arguments in inputs {
                calls.append(Call(export: export, arguments: arguments, argumentsJSON: try ValueJSON.encode(arguments, types, exactNaN: true)))
            }
        }
        return calls
    }

    static func stableHash(_ s: String) -> UInt64 {
        s.utf8.reduce(0xCBF2_9CE4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }

    /// Our outcome in the oracle's terms.
    static func ours(_ component: Component, _ call: Call) -> Oracle.Outcome {
        do {
            let results = try component.call(call.export.name, call.arguments, limits: limits)
            return .ok(try ValueJSON.encode(results, call.export.type.results.map(\.type)))
        } catch {
            return .trap(String(describing: error))
        }
    }

    /// Compares our outcomes with wasmtime's; traps match traps (the messages differ by engine).
    func compare(_ label: String, _ calls: [Call], ours: [Oracle.Outcome], wasmtime: [Oracle.Outcome]) -> Int {
        var mismatches = 0
        for (call, (mine, theirs)) in zip(calls, zip(ours, wasmtime)) {
            let agree: Bool
            switch (mine, theirs) {
            case (.ok(let a), .ok(let b)): agree = a == b
            case (.trap, .trap): agree = true
            default: agree = false
            }
            if !agree {
                mismatches += 1
                if mismatches <= 25 {
                    XCTFail("\(label): \(call.export.name)(\(call.argumentsJSON)): ours \(mine), wasmtime \(theirs)")
                }
            }
        }
        print("DIFF: \(label): \(calls.count) calls compared with wasmtime, \(mismatches) differ")
        return mismatches
    }

    // MARK: the all-types guest

    func testAllTypesGuestAgreesWithWasmtime() throws {
        let component = try DifferentialGuest.load()
        let names = Set(component.exports.map(\.name))
        for fn in DifferentialGuest.hostFunctionNames {
            XCTAssert(names.contains("enclaveos:diff/echo/\(fn)"), "missing export echo/\(fn)")
            XCTAssert(names.contains("enclaveos:diff/via-host/\(fn)"), "missing export via-host/\(fn)")
        }
        let calls = try Self.calls(for: component, seedSalt: "all-types")
        let outcomes = calls.map { Self.ours(component, $0) }

        // Self-checks that need no oracle.
        var selfFailures = 0
        for (call, outcome) in zip(calls, outcomes) {
            let resultTypes = call.export.type.results.map(\.type)
            var expected: String
            if call.export.name.contains("/via-host/") {
                let hostName = call.export.name.split(separator: "/").last.map(String.init) ?? ""
                expected = try ValueJSON.encode(try HostTransform.answer(hostName, call.export.type, call.arguments), resultTypes)
            } else if call.arguments.count == 1 {
                expected = try ValueJSON.encode(call.arguments, resultTypes)  // echo
            } else {
                expected = try ValueJSON.encode([.tuple(call.arguments)], resultTypes)  // spill
            }
            if outcome != .ok(expected) {
                selfFailures += 1
                if selfFailures <= 25 { XCTFail("\(call.export.name)(\(call.argumentsJSON)): got \(outcome), expected \(expected)") }
            }
        }
        print("DIFF: all-types self-check: \(calls.count) calls, \(selfFailures) wrong")

        guard Oracle.requireAvailable() else { return }
        let wasmtime = try Oracle.call(DifferentialGuest.url, calls.map { ($0.export.name, $0.argumentsJSON) }, fuel: Self.limits.fuel)
        _ = compare("all-types", calls, ours: outcomes, wasmtime: wasmtime)
    }

    // MARK: every committed component

    /// Export names and signatures as we parse them equal wasmtime's.
    func testSignaturesAgreeWithWasmtime() throws {
        guard Oracle.requireAvailable() else { return }
        for url in GuestFiles.allComponents() {
            let described = try Oracle.describe(url)
            guard !Self.usesResources(described.imports) else { continue }
            let component = try loadTolerant([UInt8](try Data(contentsOf: url)), imports: HostTransform.imports(described.imports)).component
            XCTAssertEqual(Set(component.exports.map(\.name)), Set(described.exports.keys), url.lastPathComponent)
            for export in component.exports {
                XCTAssertEqual(ValueJSON.encode(signature: export.type), described.exports[export.name],
                               "\(url.lastPathComponent) \(export.name)")
            }
        }
    }

    /// The other committed components (WAT fixtures, the Embedded Swift test guest), with host
    /// imports typed as wasmtime reports them.
    func testCommittedComponentsAgreeWithWasmtime() throws {
        guard Oracle.requireAvailable() else { return }
        var total = 0
        for url in GuestFiles.allComponents() where url != DifferentialGuest.url {
            let described = try Oracle.describe(url)
            // Resource handles are not values the host transform can make up; such components are
            // compared with wasmtime by ComponentsTests' ResourceDifferentialTests instead.
            guard !Self.usesResources(described.imports) else {
                print("DIFF: \(url.lastPathComponent): compared by ResourceDifferentialTests (imports resources)")
                continue
            }
            let component = try loadTolerant([UInt8](try Data(contentsOf: url)), imports: HostTransform.imports(described.imports)).component
            let calls = try Self.calls(for: component, seedSalt: url.lastPathComponent, randomCount: 12)
                .filter { !Self.mentionsResources($0.export.type) }
            let outcomes = calls.map { Self.ours(component, $0) }
            let wasmtime = try Oracle.call(url, calls.map { ($0.export.name, $0.argumentsJSON) }, fuel: Self.limits.fuel)
            _ = compare(url.lastPathComponent, calls, ours: outcomes, wasmtime: wasmtime)
            total += calls.count
        }
        print("DIFF: committed components: \(total) calls compared")
    }

    static func mentionsResources(_ signature: WITFunctionType) -> Bool {
        let text = ValueJSON.encode(signature: signature)
        return text.contains("\"own\"") || text.contains("\"borrow\"")
    }

    static func usesResources(_ imports: [String: WITFunctionType]) -> Bool {
        imports.values.contains(where: mentionsResources)
    }

    /// wasmtime instantiates a component whose imported interface only defines types without the
    /// host registering that interface. Reported (not failed) until the component layer agrees.
    func testTypeOnlyInterfaceImportNeedsNoRegistration() throws {
        var imports = HostImports()
        for name in DifferentialGuest.hostFunctionNames {
            imports.define(instance: DifferentialGuest.hostInstance, function: name, HostFunction { $0 })
        }
        let loaded = try loadTolerant([UInt8](try Data(contentsOf: DifferentialGuest.url)), imports: imports)
        // wasmtime instantiates without registering interfaces that only define types; so must we.
        XCTAssertEqual(loaded.typeOnlyInstances, [], "type-only interface imports must not need registration")
    }

    /// The shared JSON encoding itself, so an encoding slip cannot hide a real difference.
    func testValueEncodingMatchesPythonConventions() throws {
        XCTAssertEqual(ValueJSON.quote("a\"\\\n\u{7F}é🦀"), #""a\"\\\n\u007f\u00e9\ud83e\udd80""#)
        XCTAssertEqual(try ValueJSON.encode(.f32(1.5), .f32), "\"0x3fc00000\"")
        XCTAssertEqual(try ValueJSON.encode(.f64(-.nan), .f64), "\"nan\"")
        XCTAssertEqual(try ValueJSON.encode(.f32(Float(bitPattern: 0x7FC0_0001)), .f32, exactNaN: true), "\"0x7fc00001\"")
        let shape = WITType.variant(name: nil, cases: [.init(name: "a", type: .u8), .init(name: "b", type: nil)])
        XCTAssertEqual(try ValueJSON.encode(.variant(caseIndex: 1, payload: nil), shape), "{\"b\":null}")
        XCTAssertEqual(try ValueJSON.encode(.option(.option(nil)), .option(.option(.u8))), "{\"some\":{\"none\":null}}")
        XCTAssertThrowsError(try ValueJSON.encode(.u8(1), .s8))
    }
}
