import Foundation
import XCTest
@testable import Components

/// The wall-clock limit of a call and stopping it from outside (`CallControl`): guest code that
/// never ends, a host call that outlasts the deadline, and the same instance pool afterwards.
final class CallControlTests: XCTestCase {
    /// More fuel than a call could burn in the test's lifetime: only the clock can end it.
    static let unlimitedFuel: UInt64 = 1 << 50

    func testEndlessLoopFailsAtItsTimeLimit() throws {
        let component = try Component.load(try Fixtures.bytes("basic.wasm"))
        let limits = ExecutionLimits(fuel: Self.unlimitedFuel, timeLimit: .milliseconds(200))
        let started = ContinuousClock.now
        XCTAssertThrowsComponentError(.timeLimit(.milliseconds(200)), try component.call("spin", [], limits: limits))
        let elapsed = ContinuousClock.now - started
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(200))
        XCTAssertLessThan(elapsed, .seconds(5), "the watchdog must stop the loop soon after its deadline")
        XCTAssertEqual(ComponentError.timeLimit(.milliseconds(200)).description, "time limit (0.2 s)")
        XCTAssertEqual(ComponentError.timeLimit(.seconds(30)).description, "time limit (30 s)")
        // Instances are reused after a stopped call as after any failure: the next call is clean.
        XCTAssertEqual(try component.call("add", [.s32(1), .s32(2)], limits: limits), [.s32(3)])
    }

    func testStopFromAnotherThreadEndsTheCall() throws {
        let component = try Component.load(try Fixtures.bytes("basic.wasm"))
        let control = CallControl()
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(100)) {
            control.stop(reason: "the server is shutting down")
        }
        let started = ContinuousClock.now
        XCTAssertThrowsComponentError(.stopped("the server is shutting down"),
                                      try component.call("spin", [], limits: ExecutionLimits(fuel: Self.unlimitedFuel),
                                                         control: control))
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
        XCTAssertEqual(ComponentError.stopped("x").description, "stopped: x")
        // A stopped control refuses a later call before it runs any guest code.
        XCTAssertThrowsComponentError(.stopped("the server is shutting down"),
                                      try component.call("add", [.s32(1), .s32(2)], control: control))
    }

    func testHostCallPastTheDeadlineFailsTheCall() throws {
        var imports = HostImports()
        imports.define(instance: "test:imports/host", function: "log", HostFunction { _ in [] })
        imports.define(instance: "test:imports/host", function: "add-one", HostFunction { context, args in
            // A host operation that blocks: it waits at most the call's remaining time.
            let wait = min(context.remainingTime ?? .seconds(1), .seconds(1))
            Thread.sleep(forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18)
            guard case .u32(let x) = args.first else { throw ComponentError.trap("bad arg") }
            return [.u32(x &+ 1)]
        })
        imports.define(instance: "test:imports/host", function: "shout", HostFunction { _ in [.string("")] })
        let component = try Component.load(try Fixtures.bytes("imports.wasm"), imports: imports)
        let started = ContinuousClock.now
        XCTAssertThrowsComponentError(.timeLimit(.milliseconds(150)),
                                      try component.call("run", [.u32(1)], limits: ExecutionLimits(timeLimit: .milliseconds(150))))
        // `run` calls add-one twice; the first wait used the whole budget, the second call was refused.
        XCTAssertLessThan(ContinuousClock.now - started, .milliseconds(900))
    }

    /// Host work is charged by the bytes it moves: `relay` does a constant amount of guest work
    /// whatever its string's length, so only the charge for the 60,000 bytes crossing the
    /// boundary (30,000 in, 30,000 back; the fixture's memory is one page) can exhaust a budget
    /// of 50,000.
    func testHostCallsAreChargedForTheBytesTheyMove() throws {
        var imports = HostImports()
        imports.define(instance: "test:imports/host", function: "log", HostFunction { _ in [] })
        imports.define(instance: "test:imports/host", function: "add-one", HostFunction { _ in [.u32(0)] })
        imports.define(instance: "test:imports/host", function: "shout", HostFunction { args in args })
        let component = try Component.load(try Fixtures.bytes("imports.wasm"), imports: imports)
        let text = String(repeating: "x", count: 30_000)
        XCTAssertThrowsComponentError(.outOfFuel, try component.call("relay", [.string(text)], limits: ExecutionLimits(fuel: 50_000)))
        XCTAssertEqual(try component.call("relay", [.string(text)], limits: ExecutionLimits(fuel: 100_000)), [.string(text)])
        // A small string costs little: a budget of 5,000 is plenty.
        XCTAssertEqual(try component.call("relay", [.string("hi")], limits: ExecutionLimits(fuel: 5_000)), [.string("hi")])

        let session = try component.instantiate(limits: ExecutionLimits(fuel: 10_000_000))
        _ = try session.call("relay", [.string(text)])
        let spent = 10_000_000 - (session.remainingFuel ?? 0)
        let charged = HostWorkFuel.perCall + 60_000
        XCTAssertGreaterThanOrEqual(spent, charged)
        XCTAssertLessThan(spent, charged + 2_000, "the guest work of relay is a few dozen operators")
    }

    func testSecondsAreWrittenAsPeopleWriteThem() {
        XCTAssertEqual(ComponentError.seconds(.seconds(30)), "30")
        XCTAssertEqual(ComponentError.seconds(.milliseconds(1500)), "1.5")
        XCTAssertEqual(ComponentError.seconds(.milliseconds(250)), "0.25")
        XCTAssertEqual(ComponentError.seconds(.milliseconds(1)), "0.001")
    }
}
