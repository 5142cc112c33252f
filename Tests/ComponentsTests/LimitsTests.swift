import XCTest
@testable import Components

/// Fuel and memory limits.
final class LimitsTests: XCTestCase {
    func testInfiniteLoopRunsOutOfFuel() throws {
        let component = try Component.load(try Fixtures.bytes("basic.wasm"))
        let start = Date()
        XCTAssertThrowsComponentError(.outOfFuel, try component.call("spin", [], limits: ExecutionLimits(fuel: 100_000)))
        XCTAssertEqual(ComponentError.outOfFuel.description, "out of fuel")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        // The component is still usable afterwards.
        XCTAssertEqual(try component.call("add", [.s32(1), .s32(2)]), [.s32(3)])
    }

    func testFuelBoundsOrdinaryWork() throws {
        let component = try Component.load(try Fixtures.bytes("basic.wasm"))
        XCTAssertEqual(try component.call("recurse", [.u32(100)], limits: ExecutionLimits(fuel: 1_000_000)), [.u32(100)])
        XCTAssertThrowsComponentError(.outOfFuel, try component.call("recurse", [.u32(100)], limits: ExecutionLimits(fuel: 50)))
    }

    func testMemoryGrowthPastTheCapFails() throws {
        let component = try Component.load(try Fixtures.bytes("basic.wasm"))
        let limits = ExecutionLimits(maxMemoryBytes: 1 << 20)
        // 1 page initially; growing by 8 pages (to 576 KiB) is fine, 32 more pages is not.
        XCTAssertEqual(try component.call("grow", [.u32(8)], limits: limits), [.s32(1)])
        XCTAssertEqual(try component.call("grow", [.u32(32)], limits: limits), [.s32(-1)])
        // A string argument too large for the cap: realloc's memory.grow fails and it traps.
        let big = String(repeating: "x", count: 2 << 20)
        XCTAssertThrowsComponentError(.memoryLimit(1 << 20), try component.call("greet", [.string(big)], limits: limits))
    }

    func testFreshInstancePerCall() throws {
        let component = try Component.load(try Fixtures.bytes("basic.wasm"))
        // Each call starts from the initial memory size of one page.
        for _ in 0..<3 {
            XCTAssertEqual(try component.call("grow", [.u32(1)]), [.s32(1)])
        }
    }
}
