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
        XCTAssertEqual(component.exports.map(\.name), ["handles", "live-counters", "shout", "sum", "tally", "text-calls", "text-grow-10", "text2-calls", "text2-grow-12", "total", "upper"])
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

    /// The cap is on all memories of the tree together: the four instances of the fixture
    /// start with one 64 KiB page each, so 200 KiB is too little although each memory fits.
    func testMemoryCapCoversTheTreeTogether() throws {
        let component = try nested()
        XCTAssertThrowsComponentError(.memoryLimit(200 << 10), try component.call("text-calls", [], limits: ExecutionLimits(maxMemoryBytes: 200 << 10)))
        XCTAssertEqual(try component.call("text-calls", [], limits: ExecutionLimits(maxMemoryBytes: 256 << 10)), [.u32(0)])
        // Growing one memory counts against what the others use: $Text grows to three pages
        // beside three one-page memories.
        let long = String(repeating: "z", count: 40_000)
        XCTAssertThrowsComponentError(.memoryLimit(320 << 10), try component.call("upper", [.string(long)], limits: ExecutionLimits(maxMemoryBytes: 320 << 10)))
        XCTAssertEqual(try component.call("upper", [.string(long)], limits: ExecutionLimits(maxMemoryBytes: 384 << 10)), [.string(long.uppercased())])
        // A small memory growing past the size of a larger one is the limiter's wrong guess
        // (it takes the larger one for the grower): the call still fails with the memory limit
        // once the true total is known. $Text: 11 pages; then $Text2 grows from 1 to 13 pages.
        let session = try component.instantiate(limits: ExecutionLimits(maxMemoryBytes: 1 << 20))
        XCTAssertEqual(try session.call("text-grow-10", []), [.s32(1)])
        XCTAssertThrowsComponentError(.memoryLimit(1 << 20), try session.call("text2-grow-12", []))
    }

    /// The handle-slot cap is shared by the handle tables of every component instance.
    func testHandleSlotsAreCappedAcrossTheTree() throws {
        let budget = HandleBudget()
        let first = HandleTable(budget: budget), second = HandleTable(budget: budget)
        for index in 0..<HandleTable.maxHandles {
            _ = try (index.isMultiple(of: 2) ? first : second).add(HandleEntry(resource: "r", rep: 1, own: true), "test")
        }
        XCTAssertThrowsError(try first.add(HandleEntry(resource: "r", rep: 1, own: true), "test")) { error in
            guard case .trap(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.contains("across the component's instances"), why)
        }
        // A freed slot is reused without claiming a new one.
        _ = try second.drop(1, "r", "test")
        XCTAssertEqual(try second.add(HandleEntry(resource: "r", rep: 2, own: true), "test"), 1)
    }

    /// A component made by `wasm-tools compose` (wit-component shims and fixups inside nested
    /// components) loads and runs with no host imports.
    func testComposedComponentRuns() throws {
        let component = try Component.load(Fixtures.bytes("composed.wasm"))
        XCTAssertEqual(component.exports.map(\.name), ["relay", "run"])
        XCTAssertEqual(try component.call("relay", [.string("hey")]), [.string(">HEY<")])
    }
}
