import XCTest
@testable import Components

/// The `echo` fixture built with string-encoding=utf16 and latin1+utf16: a round trip through
/// the guest exercises both lowering and lifting of each encoding.
final class StringEncodingTests: XCTestCase {
    let samples = ["", "abc", "héllo wörld ÿ", "Zoë 🌍 日本", String(repeating: "é", count: 1000)]

    func testUTF16RoundTrip() throws {
        let component = try Component.load(try Fixtures.bytes("echo-utf16.wasm"))
        for sample in samples {
            XCTAssertEqual(try component.call("echo", [.string(sample)]), [.string(sample)])
        }
    }

    func testLatin1PlusUTF16RoundTrip() throws {
        let component = try Component.load(try Fixtures.bytes("echo-compact-utf16.wasm"))
        for sample in samples {
            XCTAssertEqual(try component.call("echo", [.string(sample)]), [.string(sample)])
        }
    }

    /// The guest-side layout, with expected values taken from wasmtime 50 on the same fixtures.
    func testGuestSeesTheCanonicalLayout() throws {
        let utf16 = try Component.load(try Fixtures.bytes("echo-utf16.wasm"))
        XCTAssertEqual(try utf16.call("raw-length", [.string("é🌍")]), [.u32(3)])
        XCTAssertEqual(try utf16.call("first-bytes", [.string("é🌍")]), [.u32(233)])
        let compact = try Component.load(try Fixtures.bytes("echo-compact-utf16.wasm"))
        XCTAssertEqual(try compact.call("raw-length", [.string("é🌍")]), [.u32(2_147_483_651)])
        XCTAssertEqual(try compact.call("first-bytes", [.string("é🌍")]), [.u32(233)])
        XCTAssertEqual(try compact.call("raw-length", [.string("ÿa")]), [.u32(2)])
        XCTAssertEqual(try compact.call("first-bytes", [.string("ÿa")]), [.u32(25087)])
    }
}
