import Components
import EnclaveProtocol
import EnclaveServer
import XCTest

/// Typed JSON ⇄ component values against WIT signatures (docs/protocol.md §3, typed values).
final class TypedValueCodecTests: XCTestCase {
    private func function(_ params: [(String, WITType)], _ results: [WITType] = []) -> ExportedFunction {
        ExportedFunction(name: "f", type: WITFunctionType(
            params: params.map { WITParameter(name: $0.0, type: $0.1) },
            results: results.map { WITParameter(name: "", type: $0) }))
    }

    private func decode(_ json: String, as type: WITType) throws -> ComponentValue {
        let params = try JSON.parse(Array("[\(json)]".utf8)).arrayValue ?? []
        return try TypedValueCodec.decodeArguments(params, for: function([("p", type)]))[0]
    }

    private func reason(_ json: String, as type: WITType) -> String {
        do {
            _ = try decode(json, as: type)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    private func encode(_ value: ComponentValue, as type: WITType) -> String {
        TypedValueCodec.encodeResults([value], for: function([], [type]))[0].serializedString
    }

    func testCompatScalars() throws {
        XCTAssertEqual(try decode(#"{"type":"u32","value":42}"#, as: .u32), .u32(42))
        XCTAssertEqual(try decode(#"{"type":"s64","value":-5}"#, as: .s64), .s64(-5))
        XCTAssertEqual(try decode(#"{"type":"u64","value":"18446744073709551615"}"#, as: .u64), .u64(.max))
        XCTAssertEqual(try decode(#"{"type":"bool","value":true}"#, as: .bool), .bool(true))
        XCTAssertEqual(try decode(#"{"type":"f64","value":1.5}"#, as: .f64), .f64(1.5))
        XCTAssertEqual(try decode(#"{"type":"string","value":"hé"}"#, as: .string), .string("hé"))
        XCTAssertEqual(try decode(#"{"type":"bytes","value":[1,2]}"#, as: .list(.u8)), .list([.u8(1), .u8(2)]))
        XCTAssertEqual(try decode(#"{"type":"bytes","value":"AQI="}"#, as: .list(.u8)), .list([.u8(1), .u8(2)]))
        XCTAssertEqual(try decode(#"{"type":"char","value":"😀"}"#, as: .char), .char("😀"))
    }

    func testErrorsNameParameterAndType() {
        XCTAssertEqual(reason(#"{"type":"u32","value":4294967296}"#, as: .u32),
                       "parameter 1 'p': expected u32, value 4294967296 is out of range 0...4294967295")
        XCTAssertEqual(reason(#"{"type":"string","value":1}"#, as: .u32), "parameter 1 'p': expected u32, got type 'string'")
        XCTAssertEqual(reason(#"{"type":"u8","value":-1}"#, as: .u8), "parameter 1 'p': expected u8, value -1 is out of range 0...255")
        XCTAssertEqual(reason(#"{"type":"s8","value":1.5}"#, as: .s8), "parameter 1 'p': expected s8, got the non-integer 1.5")
        XCTAssertEqual(reason(#"{"type":"string","value":null}"#, as: .string), "parameter 1 'p': expected string, got null")
        XCTAssertEqual(reason(#"42"#, as: .u32), #"parameter 1 'p': expected a typed value {"type": "u32", "value": …}"#)
        XCTAssertEqual(reason(#"{"type":"list","value":[1,"x"]}"#, as: .list(.u32)), "parameter 1 'p'[1]: expected u32, got a string that is not an integer")
        XCTAssertThrowsError(try TypedValueCodec.decodeArguments([], for: function([("a", .u32), ("b", .string)]))) {
            XCTAssertEqual("\($0)", "'f' takes 2 parameters (a: u32, b: string), got 0")
        }
    }

    func testCompoundTypesInBothInputForms() throws {
        let point = WITType.record(name: "point", fields: [.init(name: "x", type: .s32), .init(name: "y", type: .s32)])
        XCTAssertEqual(try decode(#"{"type":"record","value":{"x":{"type":"s32","value":1},"y":2}}"#, as: point), .record([.s32(1), .s32(2)]))
        XCTAssertEqual(try decode(#"{"type":"record","value":[["x",{"type":"s32","value":1}],["y",2]]}"#, as: point), .record([.s32(1), .s32(2)]))
        XCTAssertEqual(reason(#"{"type":"record","value":{"x":1}}"#, as: point), "parameter 1 'p': expected point, missing field 'y'")

        let shape = WITType.variant(name: "shape", cases: [.init(name: "none", type: nil), .init(name: "circle", type: .f32)])
        XCTAssertEqual(try decode(#"{"type":"variant","value":{"case":"circle","value":{"type":"f32","value":2}}}"#, as: shape),
                       .variant(caseIndex: 1, payload: .f32(2)))
        XCTAssertEqual(try decode(#"{"type":"variant","value":["none",null]}"#, as: shape), .variant(caseIndex: 0, payload: nil))
        XCTAssertEqual(try decode(#"{"type":"option","value":null}"#, as: .option(.u8)), .option(nil))
        XCTAssertEqual(try decode(#"{"type":"option","value":{"type":"u8","value":3}}"#, as: .option(.u8)), .option(.u8(3)))
        XCTAssertEqual(try decode(#"{"type":"result","value":{"err":{"type":"string","value":"no"}}}"#, as: .result(ok: .u32, err: .string)),
                       .result(isError: true, payload: .string("no")))
        XCTAssertEqual(try decode(#"{"type":"flags","value":["b"]}"#, as: .flags(name: nil, names: ["a", "b"])), .flags([false, true]))
        XCTAssertEqual(try decode(#"{"type":"enum","value":"green"}"#, as: .enum(name: nil, cases: ["red", "green"])), .enum(caseIndex: 1))
        XCTAssertEqual(try decode(#"{"type":"tuple","value":[1,"a"]}"#, as: .tuple([.u16, .string])), .tuple([.u16(1), .string("a")]))
    }

    func testResultsAreTaggedWithTheirWITType() {
        XCTAssertEqual(encode(.string("Hello, World!"), as: .string), #"{"type":"string","value":"Hello, World!"}"#)
        XCTAssertEqual(encode(.u32(7), as: .u32), #"{"type":"u32","value":7}"#)
        XCTAssertEqual(encode(.f32(0.1), as: .f32), #"{"type":"f32","value":0.1}"#)
        XCTAssertEqual(encode(.list([.u8(1), .u8(2)]), as: .list(.u8)), #"{"type":"bytes","value":[1,2]}"#)
        XCTAssertEqual(encode(.option(nil), as: .option(.u8)), #"{"type":"option","value":null}"#)
        XCTAssertEqual(encode(.result(isError: false, payload: .u32(1)), as: .result(ok: .u32, err: nil)),
                       #"{"type":"result","value":{"ok":{"type":"u32","value":1}}}"#)
        XCTAssertEqual(encode(.flags([true, false, true]), as: .flags(name: nil, names: ["a", "b", "c"])), #"{"type":"flags","value":["a","c"]}"#)
    }

    func testRoundTripThroughEncodeAndDecode() throws {
        let type = WITType.list(.tuple([.string, .option(.s64), .enum(name: nil, cases: ["x", "y"])]))
        let value = ComponentValue.list([.tuple([.string("a"), .option(.s64(-1)), .enum(caseIndex: 1)]), .tuple([.string(""), .option(nil), .enum(caseIndex: 0)])])
        XCTAssertEqual(try decode(encode(value, as: type), as: type), value)
    }

    func testSchemaDescribesTypes() {
        let f = ExportedFunction(name: "add", type: WITFunctionType(
            params: [WITParameter(name: "a", type: .u32), WITParameter(name: "l", type: .list(.option(.string)))],
            results: [WITParameter(name: "", type: .u32)]))
        XCTAssertEqual(TypedValueCodec.schema(of: f).serializedString,
                       #"{"name":"add","params":[{"name":"a","type":{"kind":"u32"}},{"name":"l","type":{"kind":"list","element":{"kind":"option","inner":{"kind":"string"}}}}],"results":[{"name":"","type":{"kind":"u32"}}]}"#)
    }
}
