import EnclaveProtocol
import XCTest
@testable import Components

/// `ComponentValue.matches` by precomputed layout (used on every call) answers exactly as the
/// check by WIT type does, for every pairing of a set of types and values, including the
/// near misses (wrong case index, missing or extra payload, wrong field count).
final class ValueCheckTests: XCTestCase {
    static let types: [WITType] = [
        .bool, .s8, .u8, .s16, .u16, .s32, .u32, .s64, .u64, .f32, .f64, .char, .string,
        .list(.u8), .list(.u32), .list(.string), .list(.list(.u8)),
        .record(name: "point", fields: [.init(name: "x", type: .s32), .init(name: "y", type: .s32)]),
        .tuple([.string, .bool]), .tuple([]),
        .variant(name: "shape", cases: [.init(name: "none", type: nil), .init(name: "circle", type: .f64)]),
        .enum(name: "color", cases: ["red", "green"]),
        .option(.string), .option(.option(.u8)),
        .result(ok: .u32, err: nil), .result(ok: nil, err: .string), .result(ok: nil, err: nil),
        .flags(name: "perms", names: ["read", "write", "exec"]),
        .own(resource: "file"), .borrow(resource: "file"),
    ]

    static let values: [ComponentValue] = [
        .bool(true), .s8(-1), .u8(1), .s16(-2), .u16(2), .s32(-3), .u32(3), .s64(-4), .u64(4), .f32(1.5), .f64(2.5),
        .char("x"), .string("text"), .bytes([1, 2]), .bytes([]), .list([]), .list([.u8(1)]), .list([.u32(1), .u32(2)]),
        .list([.u32(1), .u8(2)]), .list([.string("a")]), .list([.bytes([1])]), .list([.list([.u8(1)])]),
        .record([.s32(1), .s32(2)]), .record([.s32(1)]), .record([.s32(1), .u32(2)]), .tuple([.s32(1), .s32(2)]),
        .tuple([.string("a"), .bool(false)]), .tuple([]), .record([]),
        .variant(caseIndex: 0, payload: nil), .variant(caseIndex: 1, payload: .f64(1)), .variant(caseIndex: 1, payload: nil),
        .variant(caseIndex: 0, payload: .f64(1)), .variant(caseIndex: 2, payload: nil), .variant(caseIndex: -1, payload: nil),
        .enum(caseIndex: 0), .enum(caseIndex: 1), .enum(caseIndex: 2), .enum(caseIndex: -1),
        .option(nil), .option(.string("a")), .option(.u8(1)), .option(.option(.u8(1))), .option(.option(nil)),
        .result(isError: false, payload: .u32(1)), .result(isError: false, payload: nil), .result(isError: true, payload: nil),
        .result(isError: true, payload: .string("e")), .result(isError: false, payload: .string("e")),
        .flags([true, false, true]), .flags([true]), .handle(1),
    ]

    func testLayoutCheckAgreesWithTypeCheck() {
        var matched = 0
        for type in Self.types {
            let layout = TypeLayout(type)
            for value in Self.values {
                let byType = value.matches(type)
                XCTAssertEqual(value.matches(layout), byType, "\(value) against \(type)")
                if byType { matched += 1 }
            }
        }
        // Both answers occur: the table has values of every type and values of none.
        XCTAssertGreaterThan(matched, Self.types.count)
    }
}
