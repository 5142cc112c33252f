import Foundation
import XCTest
@_spi(Benchmark) @testable import Components

/// Calls reuse reset instances (`InstancePool`); every call must still observe a fresh
/// instance: memory, globals (exported or not), tables and the handle table as new.
final class InstanceReuseTests: XCTestCase {
    func loadState() throws -> Component {
        let component = try Component.load(try Fixtures.bytes("state.wasm"))
        XCTAssertTrue(component.reusesInstances)
        return component
    }

    func testNonExportedGlobalIsFreshEveryCall() throws {
        let component = try loadState()
        for _ in 0..<5 {
            XCTAssertEqual(try component.call("bump", []), [.u32(1)])
        }
        XCTAssertEqual(component.idleInstanceCount, 1, "successful calls should share one reset instance")
        XCTAssertEqual(try component.call("starts", []), [.u32(1)])
    }

    func testMemoryIsFreshEveryCall() throws {
        let component = try loadState()
        for value in 1...4 {
            XCTAssertEqual(try component.call("poke", [.u32(UInt32(value))]), [.u32(7)])
        }
    }

    func testMemoryGrowthIsNotSeenByTheNextCall() throws {
        let component = try loadState()
        for _ in 0..<3 {
            XCTAssertEqual(try component.call("grow", [.u32(2)]), [.s32(1)])
            XCTAssertEqual(try component.call("size", []), [.u32(1)])
        }
    }

    func testTableWritesAndGrowthAreNotSeenByTheNextCall() throws {
        let component = try loadState()
        for _ in 0..<3 {
            XCTAssertEqual(try component.call("swap-table", []), [.u32(10)])
            XCTAssertEqual(try component.call("grow-table", []), [.u32(2)])
        }
    }

    func testHandleTableStartsEmptyEveryCall() throws {
        let component = try loadState()
        for _ in 0..<3 {
            XCTAssertEqual(try component.call("test:state/res/hoard", []), [.u32(1)])
        }
    }

    func testTrapAndOutOfFuelDoNotLeakState() throws {
        let component = try loadState()
        XCTAssertEqual(try component.call("bump", []), [.u32(1)])
        XCTAssertThrowsError(try component.call("bump-then-trap", []))
        XCTAssertEqual(try component.call("bump", []), [.u32(1)])
        XCTAssertEqual(try component.call("poke", [.u32(1)]), [.u32(7)])
        XCTAssertThrowsComponentError(.outOfFuel, try component.call("bump-then-spin", [], limits: ExecutionLimits(fuel: 10_000)))
        XCTAssertEqual(try component.call("bump", []), [.u32(1)])
        XCTAssertEqual(try component.call("poke", [.u32(1)]), [.u32(7)])
    }

    /// Fuel accounting includes the start function, as in a fresh instance: every budget gives
    /// the same outcome whether the call reuses an instance or instantiates one.
    func testFuelMatchesAFreshInstanceAtEveryBudget() throws {
        let component = try loadState()
        func outcome(_ result: () throws -> [ComponentValue]) -> String {
            do { return "\(try result())" } catch { return "\(error)" }
        }
        var sawSuccess = false, sawFailure = false
        for fuel in UInt64(0)...200 {
            let limits = ExecutionLimits(fuel: fuel)
            let fresh = outcome { try component.callFresh("poke", [.u32(3)], limits: limits) }
            // Twice: the first may build the instance, the second reuses one.
            XCTAssertEqual(outcome { try component.call("poke", [.u32(3)], limits: limits) }, fresh, "fuel \(fuel)")
            XCTAssertEqual(outcome { try component.call("poke", [.u32(3)], limits: limits) }, fresh, "fuel \(fuel)")
            if fresh.hasPrefix("[") { sawSuccess = true } else { sawFailure = true }
        }
        XCTAssertTrue(sawSuccess && sawFailure)
    }

    func testAMemoryCapBelowTheInitialMemoryFailsAsAFreshInstanceWould() throws {
        let component = try loadState()
        XCTAssertEqual(try component.call("bump", []), [.u32(1)])
        let tight = ExecutionLimits(maxMemoryBytes: 32 << 10)
        let fresh = String(describing: XCTAssertThrowsAndReturn { try component.callFresh("bump", [], limits: tight) })
        let reused = String(describing: XCTAssertThrowsAndReturn { try component.call("bump", [], limits: tight) })
        XCTAssertEqual(reused, fresh)
        XCTAssertEqual(try component.call("grow", [.u32(1)], limits: ExecutionLimits(maxMemoryBytes: 64 << 10)), [.s32(-1)])
        XCTAssertEqual(try component.call("grow", [.u32(1)]), [.s32(1)])
    }

    func testConcurrentCallsEachGetTheirOwnInstance() throws {
        let component = try loadState()
        let results = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            let outcome: String
            do {
                let bumped = try component.call("bump", [])
                let poked = try component.call("poke", [.u32(UInt32(index))])
                outcome = "\(bumped) \(poked)"
            } catch {
                outcome = "\(error)"
            }
            results.mutate { $0.append(outcome) }
        }
        XCTAssertEqual(results.value, Array(repeating: "[Components.ComponentValue.u32(1)] [Components.ComponentValue.u32(7)]", count: 64))
        XCTAssertLessThanOrEqual(component.idleInstanceCount, InstancePool.defaultCapacity)
    }

    func testSessionsKeepTheirOwnState() throws {
        let component = try loadState()
        let session = try component.instantiate()
        XCTAssertEqual(try session.call("bump", []), [.u32(1)])
        XCTAssertEqual(try session.call("bump", []), [.u32(2)])
        XCTAssertEqual(try component.call("bump", []), [.u32(1)])
    }

    func testTestGuestReusesInstances() throws {
        guard let bytes = try Fixtures.testGuestBytes() else { throw XCTSkip("test guest not built") }
        let guest = try Component.load(bytes)
        XCTAssertTrue(guest.reusesInstances)
        for _ in 0..<3 {
            XCTAssertEqual(try guest.call("hello", []), [.string("Hello, World!")])
            XCTAssertEqual(try guest.call("grow", [.u32(1)]), [.s32(2)])
            XCTAssertEqual(try guest.call("greet", [.string("Ada")]), try guest.callFresh("greet", [.string("Ada")]))
        }
        XCTAssertGreaterThan(guest.idleInstanceCount, 0)
    }

    /// A ~128 KB Embedded Swift guest with real `String` code: reused instances give the same
    /// answers as fresh ones, call after call (its bump allocator never frees, so a used
    /// instance that was not reset would drift).
    func testStringGuestAnswersLikeAFreshInstance() throws {
        let url = Fixtures.repositoryRoot.appendingPathComponent("Guests/string-guest/string-guest.wasm")
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("string guest not built") }
        let guest = try Component.load([UInt8](try Data(contentsOf: url)))
        XCTAssertTrue(guest.reusesInstances)
        let calls: [(String, [ComponentValue])] = [
            ("hello", []), ("uppercase", [.string("héllo wörld")]),
            ("count-characters", [.string("e\u{301} 👩‍👩‍👧")]), ("reverse-words", [.string("a bb ccc")]),
        ]
        for _ in 0..<3 {
            for (name, arguments) in calls {
                XCTAssertEqual(try guest.call(name, arguments), try guest.callFresh(name, arguments), name)
            }
        }
        XCTAssertEqual(try guest.call("uppercase", [.string("straße")]), [.string("STRASSE")])
        XCTAssertEqual(try guest.call("count-characters", [.string("e\u{301} 👩‍👩‍👧")]), [.u32(3)])
    }
}

/// Runs `body`, which must throw, and returns the error.
private func XCTAssertThrowsAndReturn(_ body: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) -> Error? {
    do {
        _ = try body()
        XCTFail("expected an error", file: file, line: line)
        return nil
    } catch {
        return error
    }
}
