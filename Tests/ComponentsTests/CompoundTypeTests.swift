import XCTest
@testable import Components

/// Lists, records, variants, enums, flags, options, results and spilled parameters.
final class CompoundTypeTests: XCTestCase {
    var component: Component!

    override func setUpWithError() throws {
        component = try Component.load(try Fixtures.bytes("types.wasm"))
    }

    func testTypesAreResolvedWithNames() throws {
        let move = try XCTUnwrap(component.export(named: "move-point"))
        guard case .record(let name, let fields) = move.type.params[0].type else { return XCTFail("\(move.type)") }
        XCTAssertEqual(name, "point")
        XCTAssertEqual(fields.map(\.name), ["x", "y", "label"])
        XCTAssertEqual(component.export(named: "checked-div")?.type.results.first?.type, .result(ok: .u32, err: .string))
        XCTAssertEqual(component.export(named: "toggle")?.type.params.first?.type, .flags(name: "perms", names: ["read", "write", "exec"]))
        XCTAssertEqual(component.export(named: "next-color")?.type.params.first?.type, .enum(name: "color", cases: ["red", "green", "blue"]))
    }

    func testLists() throws {
        XCTAssertEqual(try component.call("sum", [.list([.u32(1), .u32(2), .u32(UInt32.max)])]), [.u64(3 + UInt64(UInt32.max))])
        XCTAssertEqual(try component.call("sum", [.list([])]), [.u64(0)])
        XCTAssertEqual(try component.call("reverse", [.list([.string("a"), .string("bb"), .string("")])]),
                       [.list([.string(""), .string("bb"), .string("a")])])
        XCTAssertEqual(try component.call("bytes-len", [.list((0..<300).map { .u8(UInt8($0 % 256)) })]), [.u32(300)])
    }

    func testRecord() throws {
        XCTAssertEqual(try component.call("move-point", [.record([.s32(1), .s32(-2), .string("p")]), .s32(10)]),
                       [.record([.s32(11), .s32(8), .string("p")])])
    }

    func testVariantWithJoinedFlatTypes() throws {
        XCTAssertEqual(try component.call("echo-shape", [.variant(caseIndex: 0, payload: .f32(2.5))]),
                       [.variant(caseIndex: 0, payload: .f32(2.5))])
        XCTAssertEqual(try component.call("echo-shape", [.variant(caseIndex: 1, payload: .tuple([.u32(3), .u32(4)]))]),
                       [.variant(caseIndex: 1, payload: .tuple([.u32(3), .u32(4)]))])
        XCTAssertEqual(try component.call("echo-shape", [.variant(caseIndex: 2, payload: nil)]),
                       [.variant(caseIndex: 2, payload: nil)])
    }

    func testEnumFlagsOptionResult() throws {
        XCTAssertEqual(try component.call("next-color", [.enum(caseIndex: 2)]), [.enum(caseIndex: 0)])
        XCTAssertEqual(try component.call("toggle", [.flags([true, false, false])]), [.flags([false, true, true])])
        XCTAssertEqual(try component.call("maybe-double", [.option(.u32(21))]), [.option(.u32(42))])
        XCTAssertEqual(try component.call("maybe-double", [.option(nil)]), [.option(nil)])
        XCTAssertEqual(try component.call("checked-div", [.u32(9), .u32(3)]), [.result(isError: false, payload: .u32(3))])
        XCTAssertEqual(try component.call("checked-div", [.u32(9), .u32(0)]), [.result(isError: true, payload: .string("division by zero"))])
    }

    func testMoreThanSixteenFlatParamsGoThroughMemory() throws {
        let args = (1...17).map { ComponentValue.u32(UInt32($0)) }
        XCTAssertEqual(try component.call("many", args), [.u32(153)])
    }

    func testBadArgumentsInCompoundTypes() {
        XCTAssertThrowsComponentError(.badArguments("parameter 'c' of next-color: expected color"),
                                      try component.call("next-color", [.enum(caseIndex: 3)]))
        XCTAssertThrowsComponentError(.badArguments("parameter 'xs' of sum: expected list<u32>"),
                                      try component.call("sum", [.list([.u32(1), .s32(2)])]))
    }
}
