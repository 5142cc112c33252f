import Foundation
import XCTest
@testable @_spi(Benchmark) import Components

/// Components made of nested components (`Fixtures/nested.wasm`, written as WAT, and
/// `Fixtures/composed.wasm`, built by `wasm-tools compose`). Their answers are compared with
/// wasmtime's in DifferentialTests; these tests check what needs no oracle: that fresh instances
/// are fresh across the whole tree, that a session keeps state across it, and that fuel, memory
/// and handle limits apply to every nested instance.
final class NestedComponentTests: XCTestCase {
    func nested() throws -> Component { try Component.load(Fixtures.bytes("nested.wasm")) }

    func testExportsOfNestedInstancesArePublished() throws {
        let component = try nested()
        XCTAssertEqual(component.exports.map(\.name), ["handles", "live-counters", "shout", "sum", "tally", "text-calls", "text2-calls", "total", "upper"])
        XCTAssertEqual(component.export(named: "shout")?.type.description, "func(s: string) -> string")
        XCTAssertEqual(component.export(named: "sum")?.type.description, "func(xs: list<u32>) -> u64")
    }

    /// Every `call` observes a fresh instantiation of the whole tree, also when the pool hands
    /// out a reused instance: the nested $Text's call counter and $App's handle table start over.
    func testEveryCallSeesAFreshTree() throws {
        let component = try nested()
        for _ in 0..<5 {
            XCTAssertEqual(try component.call("shout", [.string("ab")]), [.string("AB!")])
            XCTAssertEqual(try component.call("text-calls", []), [.u32(0)])
            XCTAssertEqual(try component.call("handles", [.u32(3)]), [.u32(4)])
        }
        XCTAssertTrue(component.reusesInstances, "the nested fixture is resettable and should use the pool")
    }

    /// A session is one instantiation: state persists in every nested instance, and the two
    /// instances of $Text stay separate.
    func testSessionKeepsStateAcrossTheTree() throws {
        let session = try nested().instantiate()
        XCTAssertEqual(try session.call("shout", [.string("héllo")]), [.string("HéLLO!")])
        XCTAssertEqual(try session.call("total", [.u32(1), .u32(2), .u32(3)]), [.u64(8)])
        XCTAssertEqual(try session.call("text-calls", []), [.u32(2)])
        XCTAssertEqual(try session.call("text2-calls", []), [.u32(0)])
        XCTAssertEqual(try session.call("handles", [.u32(1)]), [.u32(2)])
        XCTAssertEqual(try session.call("handles", [.u32(0)]), [.u32(3)])
        XCTAssertEqual(try session.call("live-counters", []), [.u32(3)])
    }

    /// One fuel budget covers the calls into nested instances.
    func testFuelCoversNestedInstances() throws {
        let component = try nested()
        let long = String(repeating: "x", count: 20_000)
        XCTAssertThrowsComponentError(.outOfFuel, try component.call("shout", [.string(long)], limits: ExecutionLimits(fuel: 50_000)))
        XCTAssertEqual(try component.call("shout", [.string(long)], limits: ExecutionLimits(fuel: 5_000_000)).first, .string(long.uppercased() + "!"))

        let session = try component.instantiate(limits: ExecutionLimits(fuel: 1_000_000))
        let before = try XCTUnwrap(session.remainingFuel)
        _ = try session.call("upper", [.string(String(repeating: "a", count: 1000))])
        XCTAssertLessThan(try XCTUnwrap(session.remainingFuel), before - 1000, "the nested loop's fuel is charged to the session")
    }

    /// The memory cap applies to the memories of nested instances: $Text must grow its own
    /// memory for a long UTF-16 copy.
    func testMemoryCapCoversNestedInstances() throws {
        let component = try nested()
        let long = String(repeating: "y", count: 100_000)
        XCTAssertThrowsComponentError(.memoryLimit(256 << 10), try component.call("upper", [.string(long)], limits: ExecutionLimits(maxMemoryBytes: 256 << 10)))
        XCTAssertEqual(try component.call("upper", [.string(long)], limits: ExecutionLimits(maxMemoryBytes: 4 << 20)), [.string(long.uppercased())])
    }

    /// A component made by `wasm-tools compose` (wit-component shims and fixups inside nested
    /// components) loads and runs with no host imports.
    func testComposedComponentRuns() throws {
        let component = try Component.load(Fixtures.bytes("composed.wasm"))
        XCTAssertEqual(component.exports.map(\.name), ["relay", "run"])
        XCTAssertEqual(try component.call("relay", [.string("hey")]), [.string(">HEY<")])
    }
}
