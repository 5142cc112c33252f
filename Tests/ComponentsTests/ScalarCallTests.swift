import Synchronization
import XCTest
@testable import Components

/// Calls into the `basic` fixture: exports discovery, scalars, strings, traps.
final class ScalarCallTests: XCTestCase {
    var component: Component!

    override func setUpWithError() throws {
        component = try Component.load(try Fixtures.bytes("basic.wasm"))
    }

    func testExportsAreSortedWithInterfaceFunctions() {
        let names = component.exports.map(\.name)
        XCTAssertEqual(names, names.sorted())
        XCTAssertTrue(names.contains("test:fixture/api/double"), "\(names)")
        XCTAssertTrue(names.contains("test:fixture/api/swap"), "\(names)")
        XCTAssertEqual(component.export(named: "add")?.type,
                       WITFunctionType(params: [.init(name: "a", type: .s32), .init(name: "b", type: .s32)],
                                       results: [.init(name: "", type: .s32)]))
        XCTAssertEqual(component.export(named: "test:fixture/api/swap")?.type.results.first?.type, .tuple([.string, .string]))
    }

    func testIntegers() throws {
        XCTAssertEqual(try component.call("add", [.s32(40), .s32(2)]), [.s32(42)])
        XCTAssertEqual(try component.call("add", [.s32(Int32.max), .s32(1)]), [.s32(Int32.min)])
        XCTAssertEqual(try component.call("test:fixture/api/double", [.u32(21)]), [.u32(42)])
        let mixArgs: [ComponentValue] = [.u8(255), .s8(-1), .u16(65535), .s16(-2), .u64(10), .s64(-20)]
        let expected: Int64 = 255 - 1 + 65535 - 2 + 10 - 20
        XCTAssertEqual(try component.call("mix", mixArgs), [.s64(expected)])
    }

    func testFloatsBoolsChars() throws {
        XCTAssertEqual(try component.call("echo-f32", [.f32(1.5)]), [.f32(1.5)])
        XCTAssertEqual(try component.call("echo-f64", [.f64(-2.25e300)]), [.f64(-2.25e300)])
        guard case .f64(let nan) = try component.call("echo-f64", [.f64(Double(bitPattern: 0x7ff4_0000_0000_0001))]).first else {
            return XCTFail("no f64")
        }
        XCTAssertEqual(nan.bitPattern, 0x7ff8_0000_0000_0000, "NaN must be canonicalised")
        XCTAssertEqual(try component.call("echo-bool", [.bool(true)]), [.bool(true)])
        XCTAssertEqual(try component.call("echo-char", [.char("🦀")]), [.char("🦀")])
    }

    func testStrings() throws {
        XCTAssertEqual(try component.call("hello", []), [.string("Hello, World!")])
        XCTAssertEqual(try component.call("greet", [.string("Zoë 🌍")]), [.string("Hello, Zoë 🌍")])
        XCTAssertEqual(try component.call("greet", [.string("")]), [.string("Hello, ")])
        XCTAssertEqual(try component.call("test:fixture/api/swap", [.string("a"), .string("bc")]),
                       [.tuple([.string("bc"), .string("a")])])
    }

    func testPostReturnRunsWithTheCoreResults() {
        // post-trap's post-return traps when given the core result 0, which post-trap returns.
        XCTAssertThrowsComponentError(.trap("unreachable"), try component.call("post-trap", []))
    }

    func testGuestPointersAreBoundsChecked() {
        XCTAssertThrowsError(try component.call("bad-string", [])) { error in
            guard case .trap(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.contains("out of bounds"), why)
        }
        XCTAssertThrowsError(try component.call("bad-char", [])) { error in
            guard case .trap(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.contains("invalid char"), why)
        }
    }

    func testTrapsAreNamed() {
        XCTAssertThrowsComponentError(.trap("unreachable"), try component.call("boom", []))
        XCTAssertThrowsComponentError(.trap("integer divide by zero"), try component.call("divide", [.s32(1), .s32(0)]))
        XCTAssertEqual((try? component.call("divide", [.s32(-9), .s32(2)])), [.s32(-4)])
        XCTAssertThrowsComponentError(.trap("call stack exhausted"),
                                      try component.call("recurse", [.u32(10_000_000)], limits: ExecutionLimits(fuel: .max)))
        XCTAssertEqual(ComponentError.trap("unreachable").description, "trap: unreachable")
    }

    func testBadArgumentsNameParameterAndType() {
        XCTAssertThrowsComponentError(.badArguments("add expects 2 arguments, got 1"), try component.call("add", [.s32(1)]))
        XCTAssertThrowsComponentError(.badArguments("parameter 'b' of add: expected s32"), try component.call("add", [.s32(1), .u32(2)]))
        XCTAssertThrowsComponentError(.noSuchExport("nope"), try component.call("nope", []))
    }

    func testCallsAreIndependentAndConcurrent() throws {
        let component = self.component!
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 16) { index in
            let name = "n\(index)"
            do {
                let result = try component.call("greet", [.string(name)])
                if result != [.string("Hello, \(name)")] { failures.mutate { $0 += 1 } }
                if (try? component.call("spin", [], limits: ExecutionLimits(fuel: 5_000))) != nil { failures.mutate { $0 += 1 } }
            } catch {
                failures.mutate { $0 += 1 }
            }
        }
        XCTAssertEqual(failures.value, 0)
    }
}

/// A tiny lock-protected box for counting across threads in tests.
final class Locked<T: Sendable>: Sendable {
    private let stored: Mutex<T>
    init(_ value: T) { stored = Mutex(value) }
    var value: T { stored.withLock { $0 } }
    func mutate(_ body: (inout T) -> Void) { stored.withLock { body(&$0) } }
}
