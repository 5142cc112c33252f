import XCTest
@testable import Components

/// `list<u8>` as `.bytes` (one buffer, copied in one piece) next to its `.list` spelling, and the
/// per-call cap on the host memory of lifted values (`ExecutionLimits.maxResultBytes`).
final class ByteListAndResultLimitTests: XCTestCase {
    func testBothSpellingsOfAByteListAreEqualAndHashAlike() {
        let bytes = ComponentValue.bytes([1, 2, 255])
        let list = ComponentValue.list([.u8(1), .u8(2), .u8(255)])
        XCTAssertEqual(bytes, list)
        XCTAssertEqual(list, bytes)
        XCTAssertEqual(bytes.hashValue, list.hashValue)
        XCTAssertEqual(Set([bytes, list, .option(bytes), .option(list)]).count, 2)
        XCTAssertEqual(ComponentValue.record([bytes, .u32(1)]), .record([list, .u32(1)]))
        XCTAssertEqual(ComponentValue.bytes([]), .list([]))
        XCTAssertNotEqual(bytes, .list([.u16(1), .u16(2), .u16(255)]))
        XCTAssertNotEqual(bytes, .bytes([1, 2]))
        XCTAssertNotEqual(bytes, .list([.u8(1), .u8(2)]))
        XCTAssertEqual(list.byteList, [1, 2, 255])
        XCTAssertEqual(bytes.byteList, [1, 2, 255])
        XCTAssertNil(ComponentValue.list([.u16(1)]).byteList)
        XCTAssertNil(ComponentValue.string("a").byteList)
    }

    func testBytesAreLoweredWhereAByteListIsExpected() throws {
        let component = try Component.load(try Fixtures.bytes("types.wasm"))
        XCTAssertEqual(try component.call("bytes-len", [.bytes(Array(repeating: 7, count: 300))]), [.u32(300)])
        XCTAssertEqual(try component.call("bytes-len", [.bytes(Array(repeating: 7, count: 1 << 20))]), [.u32(1 << 20)])
        XCTAssertEqual(try component.call("bytes-len", [.bytes([])]), [.u32(0)])
        XCTAssertThrowsComponentError(.badArguments("parameter 'xs' of sum: expected list<u32>"),
                                      try component.call("sum", [.bytes([1, 2])]))
        // Lists of other scalars go through one buffer too.
        XCTAssertEqual(try component.call("sum", [.list((0..<10_000).map { .u32(UInt32($0)) })]), [.u64(49_995_000)])
    }

    /// `reverse` returns 10 strings of 100 bytes: 10 list elements (48 bytes each) plus 1,000
    /// bytes of text. The limit is reached while the sixth string is lifted (480 + 6 × 100).
    func testAResultOverTheLimitFailsTheCallAndNamesItsSize() throws {
        let component = try Component.load(try Fixtures.bytes("types.wasm"))
        let strings = ComponentValue.list((0..<10).map { _ in .string(String(repeating: "x", count: 100)) })
        let tight = ExecutionLimits(maxResultBytes: 1000)
        XCTAssertThrowsComponentError(.valuesTooLarge(what: "result", atLeast: 1080, limit: 1000),
                                      try component.call("reverse", [strings], limits: tight))
        XCTAssertEqual(ComponentError.valuesTooLarge(what: "result", atLeast: 1080, limit: 1000).description,
                       "result of at least 1080 bytes exceeds the per-call limit of 1000 bytes on values passed to the host")
        XCTAssertEqual(try component.call("reverse", [strings], limits: ExecutionLimits(maxResultBytes: 1480)), [strings])
        XCTAssertThrowsComponentError(.valuesTooLarge(what: "result", atLeast: 1080, limit: 1000),
                                      try component.call("reverse", [strings], limits: tight))
        XCTAssertEqual(try component.call("reverse", [strings]), [strings])
    }

    func testHostImportArgumentsOverTheLimitFailTheCall() throws {
        var imports = HostImports()
        imports.define(instance: "test:imports/host", function: "log", HostFunction { _ in [] })
        imports.define(instance: "test:imports/host", function: "add-one", HostFunction { _ in [.u32(0)] })
        imports.define(instance: "test:imports/host", function: "shout", HostFunction { args in args })
        let component = try Component.load(try Fixtures.bytes("imports.wasm"), imports: imports)
        let text = String(repeating: "a", count: 64)
        XCTAssertEqual(try component.call("relay", [.string(text)], limits: ExecutionLimits(maxResultBytes: 64)), [.string(text)])
        XCTAssertThrowsError(try component.call("relay", [.string(text)], limits: ExecutionLimits(maxResultBytes: 63))) { error in
            guard case .valuesTooLarge(let what, 64, 63)? = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(what.hasPrefix("arguments of ") && what.contains("shout"), what)
        }
    }
}
