import EnclaveProtocol
import XCTest
@testable import EnclaveClient

final class ArgumentTypingTests: XCTestCase {
    private func slot(_ name: String, _ type: JSON) -> TypedSlot { TypedSlot(name: name, type: type) }

    func testPrimitivesAreTypedBySchema() throws {
        let params = [slot("a", "u32"), slot("x", "s64"), slot("f", "f32"), slot("b", "bool"), slot("s", "string"), slot("c", "char")]
        // "TRUE" is not WAVE (true is); the earlier, case-insensitive reading still accepts it.
        let typed = try ArgumentTyping.typedParams(["42", "-7", "1.5", "TRUE", "two words", "é", "nan"], params: params + [slot("g", "f64")])
        XCTAssertEqual(JSON.array(typed).serializedString, JSON.array([
            .object(["type": "u32", "value": .uint(42)]),
            .object(["type": "s64", "value": .int(-7)]),
            .object(["type": "f32", "value": .double(1.5)]),
            .object(["type": "bool", "value": .bool(true)]),
            .object(["type": "string", "value": "two words"]),
            .object(["type": "char", "value": "é"]),
            .object(["type": "f64", "value": "NaN"]),
        ]).serializedString)
    }

    func testExplicitTagOverridesSchemaAndWorksWithout() throws {
        XCTAssertEqual(try ArgumentTyping.typedParams(["u64:18446744073709551615", "string:u32:5", "bool:false"], params: nil), [
            .object(["type": "u64", "value": .uint(UInt64.max)]),
            .object(["type": "string", "value": "u32:5"]),
            .object(["type": "bool", "value": .bool(false)]),
        ])
        // A colon after an unknown prefix is part of a string.
        XCTAssertEqual(try ArgumentTyping.typedParams(["a:b"], params: [slot("s", "string")]), [.object(["type": "string", "value": "a:b"])])
    }

    func testRangesAndCountsAreCheckedLocally() {
        XCTAssertThrowsError(try ArgumentTyping.typedParams(["256"], params: [slot("x", "u8")])) { error in
            XCTAssertEqual("\(error)", "argument 1 'x': 256 is out of range for u8 (at character 1)")
        }
        XCTAssertThrowsError(try ArgumentTyping.typedParams(["-129"], params: [slot("x", "s8")]))
        XCTAssertNoThrow(try ArgumentTyping.typedParams(["-128"], params: [slot("x", "s8")]))
        XCTAssertNoThrow(try ArgumentTyping.typedParams(["-9223372036854775808"], params: [slot("x", "s64")]))
        XCTAssertThrowsError(try ArgumentTyping.typedParams(["-1"], params: [slot("x", "u32")]))
        XCTAssertThrowsError(try ArgumentTyping.typedParams(["ab"], params: [slot("c", "char")]))
        XCTAssertThrowsError(try ArgumentTyping.typedParams(["yes"], params: [slot("b", "bool")]))
        XCTAssertThrowsError(try ArgumentTyping.typedParams(["1"], params: [slot("a", "u32"), slot("b", "u32")])) { error in
            XCTAssertEqual("\(error)", "expected 2 argument(s) (a: u32, b: u32), got 1")
        }
        XCTAssertThrowsError(try ArgumentTyping.typedParams(["1"], params: nil)) { error in
            XCTAssertTrue("\(error)".contains("TYPE:VALUE"))
        }
    }

    /// Compound words are WAVE; the JSON forms of earlier versions are still read.
    func testCompoundValuesAreWAVEOrJSON() throws {
        let list: JSON = .object(["kind": "list", "element": "u32"])
        let record: JSON = .object(["kind": "record", "name": "point", "fields": .array([])])
        let option: JSON = .object(["kind": "option", "inner": "string"])
        let enumType: JSON = .object(["kind": "enum", "name": "color", "cases": .array(["red"])])
        let typed = try ArgumentTyping.typedParams(["[1,2]", #"{"x":1}"#, "none", "hi", "red", "null", "some(\"w\")"],
                                                   params: [slot("l", list), slot("r", record), slot("o", option), slot("p", option),
                                                            slot("e", enumType), slot("n", option), slot("w", option)])
        XCTAssertEqual(JSON.array(typed).serializedString, JSON.array([
            .object(["type": "list", "value": .array([.object(["type": "u32", "value": .int(1)]), .object(["type": "u32", "value": .int(2)])])]),
            .object(["type": "record", "value": .object(["x": .int(1)])]),
            .object(["type": "option", "value": .null]),
            .object(["type": "option", "value": .object(["type": "string", "value": "hi"])]),
            .object(["type": "enum", "value": "red"]),
            .object(["type": "option", "value": .null]),
            .object(["type": "option", "value": .object(["type": "string", "value": "w"])]),
        ]).serializedString)
        XCTAssertThrowsError(try ArgumentTyping.typedParams(["[1,"], params: [slot("l", list)]))
    }

    func testDescribeRendersWITSyntax() {
        XCTAssertEqual(ArgumentTyping.describe(.object(["kind": "list", "element": .object(["kind": "option", "inner": "u8"])])), "list<option<u8>>")
        XCTAssertEqual(ArgumentTyping.describe(.object(["kind": "result", "ok": "string", "err": .null])), "result<string, _>")
        XCTAssertEqual(ArgumentTyping.describe(.object(["kind": "tuple", "elements": .array(["u32", "f64"])])), "tuple<u32, f64>")
        XCTAssertEqual(ArgumentTyping.describe(.object(["kind": "record", "name": "point", "fields": .array([])])), "point")
    }

    func testSchemaParsing() throws {
        let json = try JSON.parse(Array(#"""
            {"status":"schema","schema":{"name":"a","functions":[{"name":"add","params":[{"name":"a","type":{"kind":"u32"}}],"results":[{"name":"","type":{"kind":"u32"}}]}],
            "interfaces":[{"name":"math","functions":[{"name":"sub","params":[],"results":[]}]}]}}
            """#.utf8))
        let schema = try AppSchema(json: json)
        XCTAssertEqual(schema.app, "a")
        XCTAssertEqual(schema.function(named: "add")?.params, [TypedSlot(name: "a", type: .object(["kind": "u32"]))])
        XCTAssertNil(schema.function(named: "sub"))
        XCTAssertNotNil(schema.function(named: "math/sub"), "interface functions are named <interface>/<function>")
        // The frame era's flat shape is not this server's answer.
        XCTAssertThrowsError(try AppSchema(json: .object(["status": "schema", "functions": .array([])])))
        XCTAssertThrowsError(try AppSchema(json: .object(["status": "schema"])))
    }
}
