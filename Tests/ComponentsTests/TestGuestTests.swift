import XCTest
@testable import Components

/// The Embedded Swift test guest (`Guests/test-guest`), built from our own Swift sources.
final class TestGuestTests: XCTestCase {
    func loadGuest() throws -> Component {
        let bytes = try XCTUnwrap(try Fixtures.testGuestBytes(), "Guests/test-guest/test-guest.wasm has not been built (Guests/test-guest/build.sh)")
        return try Component.load(bytes)
    }

    func testExportsAndScalars() throws {
        let guest = try loadGuest()
        XCTAssertTrue(guest.exports.map(\.name).contains("hello"))
        XCTAssertEqual(try guest.call("hello", []), [.string("Hello, World!")])
        XCTAssertEqual(try guest.call("add", [.u32(2), .u32(40)]), [.u32(42)])
        XCTAssertEqual(try guest.call("negate", [.s64(5)]), [.s64(-5)])
        XCTAssertEqual(try guest.call("is-even", [.u32(4)]), [.bool(true)])
        XCTAssertEqual(try guest.call("echo-s8", [.s8(-7)]), [.s8(-7)])
        XCTAssertEqual(try guest.call("echo-u16", [.u16(65535)]), [.u16(65535)])
        XCTAssertEqual(try guest.call("echo-char", [.char("é")]), [.char("é")])
        XCTAssertEqual(try guest.call("scale", [.f64(1.5), .f32(2)]), [.f64(3)])
    }

    func testStrings() throws {
        let guest = try loadGuest()
        XCTAssertEqual(try guest.call("greet", [.string("Ada")]).count, 1)
        XCTAssertEqual(try guest.call("concat", [.string("ab"), .string("cd")]), [.string("abcd")])
        XCTAssertEqual(try guest.call("count-bytes", [.string("héllo")]), [.u32(6)])
    }

    func testLimits() throws {
        let guest = try loadGuest()
        XCTAssertThrowsComponentError(.outOfFuel, try guest.call("spin", [], limits: ExecutionLimits(fuel: 200_000)))
        XCTAssertThrowsError(try guest.call("crash", [])) { error in
            guard case .trap = error as? ComponentError else { return XCTFail("got \(error)") }
        }
        XCTAssertEqual(try guest.call("grow", [.u32(100_000)], limits: ExecutionLimits(maxMemoryBytes: 4 << 20)), [.s32(-1)])
    }
}
