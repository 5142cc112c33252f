import EnclaveProtocol
import XCTest

@testable import EnclaveClient

/// The WAVE parser and printer on their own (tests/wave_vs_wasmtime.py compares them with
/// wasmtime's on a real component): the typed values they produce, the spellings they print,
/// and the errors they report.
final class WAVETests: XCTestCase {
    private let point = WITType.record(name: "point", fields: [
        .init(name: "x", type: .s32), .init(name: "y", type: .s32), .init(name: "tag", type: .option(.u8)),
    ])
    private let shape = WITType.variant(name: "shape", cases: [.init(name: "circle", type: .f32), .init(name: "empty", type: nil),
                                                                    .init(name: "ok", type: .string)])

    private func typed(_ text: String, _ type: WITType) throws -> String {
        try WAVEDecoder.typed(text, as: type).serializedString
    }

    private func roundTrip(_ text: String, _ type: WITType) throws -> String {
        try WAVEEncoder.text(WAVEDecoder.typed(text, as: type), as: type)
    }

    func testTypedValuesMatchTheWireForm() throws {
        XCTAssertEqual(try typed("42", .u32), #"{"type":"u32","value":42}"#)
        XCTAssertEqual(try typed("{x: 4, y: -1}", point),
                       #"{"type":"record","value":{"x":{"type":"s32","value":4},"y":{"type":"s32","value":-1},"tag":{"type":"option","value":null}}}"#)
        XCTAssertEqual(try typed("some(none)", .option(.option(.s16))),
                       #"{"type":"option","value":{"type":"option","value":null}}"#)
        XCTAssertEqual(try typed("[1, 255]", .list(.u8)), #"{"type":"bytes","value":[1,255]}"#)
        XCTAssertEqual(try typed("circle(2.5)", shape), #"{"type":"variant","value":{"case":"circle","value":{"type":"f32","value":2.5}}}"#)
        XCTAssertEqual(try typed("nan", .f64), #"{"type":"f64","value":"NaN"}"#)
        XCTAssertEqual(try typed("-inf", .f32), #"{"type":"f32","value":"-Infinity"}"#)
        XCTAssertEqual(try typed("err", .result(ok: .u8, err: nil)), #"{"type":"result","value":{"err":null}}"#)
        XCTAssertEqual(try typed("7", .result(ok: .u8, err: nil)), #"{"type":"result","value":{"ok":{"type":"u8","value":7}}}"#)
    }

    func testPrintsAsWasmWaveDoes() throws {
        XCTAssertEqual(try roundTrip("{ y: -1, x: 4 }", point), "{x: 4, y: -1}")
        XCTAssertEqual(try roundTrip("{x: 0, y: 0, tag: 3}", point), "{x: 0, y: 0, tag: some(3)}")
        XCTAssertEqual(try roundTrip("%ok(\"x\")", shape), #"%ok("x")"#)
        XCTAssertEqual(try roundTrip("{write, read}", .flags(name: "p", names: ["read", "write"])), "{read, write}")
        XCTAssertEqual(try roundTrip(#""a'b\"c\\\n\t\u{1}é""#, .string), #""a\'b\"c\\\n\t\u{1}é""#)
        XCTAssertEqual(try roundTrip("'\\u{301}'", .char), "'\\u{301}'")
        XCTAssertEqual(try roundTrip("\"\"\"\n  two\n    lines\n  \"\"\"", .string), #""two\n  lines""#)
        XCTAssertEqual(try roundTrip("{:}", .record(name: "o", fields: [.init(name: "a", type: .option(.u8))])), "{:}")
        XCTAssertEqual(try roundTrip("(1, \"a\",) // trailing comma and comment", .tuple([.u8, .string])), #"(1, "a")"#)
    }

    func testFloatsAsRustDisplaysThem() {
        XCTAssertEqual(WAVEFloat.text(f64: 1), "1")
        XCTAssertEqual(WAVEFloat.text(f64: -0.0), "-0")
        XCTAssertEqual(WAVEFloat.text(f64: 1e-7), "0.0000001")
        XCTAssertEqual(WAVEFloat.text(f64: 1e16), "10000000000000000")
        XCTAssertEqual(WAVEFloat.text(f64: 123.456), "123.456")
        XCTAssertEqual(WAVEFloat.text(f64: .nan), "nan")
        XCTAssertEqual(WAVEFloat.text(f64: -.infinity), "-inf")
        XCTAssertEqual(WAVEFloat.text(f32: 0.1), "0.1")
        XCTAssertEqual(WAVEFloat.text(f32: .greatestFiniteMagnitude), "340282350000000000000000000000000000000")
    }

    func testErrorsSayWhatAndWhere() {
        func message(_ text: String, _ type: WITType) -> String {
            do {
                _ = try WAVEDecoder.typed(text, as: type)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(message("256", .u8), "256 is out of range for u8 (at character 1)")
        XCTAssertEqual(message("1.5", .u32), "expected an integer (u32), got 1.5 (at character 1)")
        XCTAssertEqual(message("{x: 1}", point), "missing field 'y' (s32) (at character 1)")
        XCTAssertEqual(message("{x: 1, y: 2, z: 3}", point), "unknown field 'z'; fields: x, y, tag (at character 17)")
        XCTAssertEqual(message("square", shape), "unknown case 'square' of shape; cases: circle, empty, ok (at character 1)")
        XCTAssertEqual(message("[1, 2", .list(.u8)), "unexpected end of text, expected ',' or ']' (at character 6)")
        XCTAssertEqual(message(#""bad \q""#, .string), #"invalid escape (use \t \n \r \' \" \\ or \u{…}) (at character 6)"#)
        XCTAssertEqual(message("{a, a}", .flags(name: "f", names: ["a"])), "duplicate flag 'a' (at character 5)")
        XCTAssertEqual(message("5", .option(.option(.u8))), "expected option<option<u8>>, got the number 5 (at character 1)")
        XCTAssertEqual(message("1 2", .u8), "unexpected '2' after the value (at character 3)")
    }

    func testDeepNestingIsRefused() {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        var type = WITType.u8
        for _ in 0..<200 { type = .list(type) }
        XCTAssertThrowsError(try WAVEDecoder.typed(deep, as: type)) { error in
            XCTAssertTrue("\(error)".contains("nesting deeper than 100"), "\(error)")
        }
    }

    func testCallsAndTrailingOptions() throws {
        let (name, arguments) = try WAVEDecoder.call("f(1)") { _ in [.u8, .option(.u8)] }
        XCTAssertEqual(name, "f")
        XCTAssertEqual(JSON.array(arguments).serializedString, #"[{"type":"u8","value":1},{"type":"option","value":null}]"#)
        XCTAssertThrowsError(try WAVEDecoder.call("f()") { _ in [.u8] })
        XCTAssertThrowsError(try WAVEDecoder.call("f(1, 2)") { _ in [.u8] })
    }

    func testSchemaTypesAndWITText() throws {
        let schema = try JSON.parse(Array(#"{"kind":"record","name":"point","fields":[{"name":"x","type":"s32"},{"name":"c","type":{"kind":"enum","name":"color","cases":["red"]}}]}"#.utf8))
        let type = try WITType(descriptor: schema)
        XCTAssertEqual(WITTypeText.namedDefinitions([.list(type)]), ["enum color { red }", "record point { x: s32, c: color }"])
        XCTAssertEqual(WITTypeText.reference(.result(ok: nil, err: .string)), "result<_, string>")
        XCTAssertThrowsError(try WITType(descriptor: .string("u128")))
    }
}
