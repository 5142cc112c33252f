import XCTest
@testable import EnclaveProtocol

final class JSONTests: XCTestCase {
    private func parse(_ text: String) throws -> JSON { try JSON.parse(Array(text.utf8)) }

    func testRoundTripKeepsKeyOrderAndIsCompact() throws {
        let text = #"{"z":1,"a":[true,false,null],"m":{"k":"v"},"s":"x\"y\\\n"}"#
        XCTAssertEqual(try parse(text).serializedString, text)
        XCTAssertEqual(try parse(" { \"a\" : [ 1 , 2 ] } ").serializedString, #"{"a":[1,2]}"#)
    }

    func testIntegersStayExact() throws {
        XCTAssertEqual(try parse("18446744073709551615").numberValue?.uint64, UInt64.max)
        XCTAssertEqual(try parse("-9223372036854775808").numberValue?.int64, Int64.min)
        XCTAssertNil(try parse("-1").numberValue?.uint64)
        XCTAssertEqual(try parse("18446744073709551616").numberValue?.uint64, nil, "beyond u64 is a float")
        XCTAssertEqual(JSON.uint(UInt64.max).serializedString, "18446744073709551615")
    }

    func testFloatsAreSpelledLikeSerde() throws {
        XCTAssertEqual(JSON.double(1).serializedString, "1.0")
        XCTAssertEqual(JSON.double(0.1).serializedString, "0.1")
        XCTAssertEqual(JSON.double(1e20).serializedString, "1e20")
        XCTAssertEqual(JSON.double(1e-7).serializedString, "1e-7")
        XCTAssertEqual(JSON.double(.nan).serializedString, "null")
        XCTAssertEqual(JSON.float(0.1).serializedString, "0.1")
        XCTAssertEqual(try parse("2.5e3").numberValue?.double, 2500)
        XCTAssertEqual(try parse("-0").numberValue?.isInteger, false)
    }

    func testStringEscapesAndUnicode() throws {
        XCTAssertEqual(try parse(#""\u00e9\ud83d\ude00\t""#).stringValue, "é😀\t")
        XCTAssertEqual(JSON.string("é\u{01}").serializedString, "\"é\\u0001\"")
        XCTAssertThrowsError(try parse(#""\ud83d""#))
        XCTAssertThrowsError(try JSON.parse([0x22, 0xFF, 0x22]), "invalid UTF-8")
        XCTAssertThrowsError(try JSON.parse([0x22, 0x01, 0x22]), "raw control character")
    }

    func testMalformedDocumentsAreRejectedWithOffsets() {
        for bad in ["", "{", "[1,]", "{\"a\"}", "01", "1.", "-", "tru", "[1] x", "{\"a\":1,}", "nul", "\"abc"] {
            XCTAssertThrowsError(try parse(bad), bad)
        }
        XCTAssertThrowsError(try parse("[1] 2")) { error in
            XCTAssertEqual("\(error)", "unexpected data after the JSON value at offset 4")
        }
    }

    func testDepthLimit() {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        XCTAssertThrowsError(try parse(deep)) { XCTAssertEqual($0 as? JSONError, .tooDeep(limit: 128)) }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        XCTAssertNoThrow(try parse(ok))
    }

    func testRandomGarbageNeverCrashes() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("{}[]\",:0123456789.-eE+ truefalsnul\\u".utf8)
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in
                Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            _ = try? JSON.parse(bytes)
        }
    }

    func testByteArray() throws {
        XCTAssertEqual(try parse("[0,255,7]").byteArray(), [0, 255, 7])
        XCTAssertNil(try parse("[256]").byteArray())
        XCTAssertNil(try parse("[-1]").byteArray())
        XCTAssertNil(try parse("[1.5]").byteArray())
    }

    func testBase64() {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            XCTAssertEqual(Base64.decode(Base64.encode(bytes)), bytes)
        }
        XCTAssertEqual(Base64.encode(Array("hello".utf8)), "aGVsbG8=")
        XCTAssertNil(Base64.decode("a"))
        XCTAssertNil(Base64.decode("aGV*bG8="))
        XCTAssertNil(Base64.decode("aGVsbG8===="))
    }
}
