import Components
import Foundation

/// Component values as `wasm-tools json-from-wast` writes them: `{"type": "u32", "value": "42"}`,
/// integers and float bit patterns as decimal strings, records as `[[name, value], …]`, variants
/// as `{"case", "payload"}`, results as `{"Ok" | "Err": value}`, options as a value or null.
enum WastValues {
    /// The argument `json` as a value of `type`.
    static func value(_ json: Any, _ type: WITType) throws -> ComponentValue {
        guard let object = json as? [String: Any] else { throw WastFailure("value is not an object: \(json)") }
        let raw = object["value"]
        func text() throws -> String {
            guard let string = raw as? String else { throw WastFailure("expected a string for \(type), got \(String(describing: raw))") }
            return string
        }
        func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
            guard let parsed = T(try text()) else { throw WastFailure("\(try text()) is not a \(type)") }
            return parsed
        }
        func array() throws -> [Any] {
            guard let items = raw as? [Any] else { throw WastFailure("expected an array for \(type)") }
            return items
        }
        switch type {
        case .bool:
            guard let flag = raw as? Bool else { throw WastFailure("expected a bool") }
            return .bool(flag)
        case .s8: return .s8(try integer(Int8.self))
        case .u8: return .u8(try integer(UInt8.self))
        case .s16: return .s16(try integer(Int16.self))
        case .u16: return .u16(try integer(UInt16.self))
        case .s32: return .s32(try integer(Int32.self))
        case .u32: return .u32(try integer(UInt32.self))
        case .s64: return .s64(try integer(Int64.self))
        case .u64: return .u64(try integer(UInt64.self))
        case .f32: return .f32(Float(bitPattern: try integer(UInt32.self)))
        case .f64: return .f64(Double(bitPattern: try integer(UInt64.self)))
        case .char:
            guard let scalar = try text().unicodeScalars.first, try text().unicodeScalars.count == 1 else { throw WastFailure("not one char") }
            return .char(scalar)
        case .string: return .string(try text())
        case .list(let element): return .list(try array().map { try value($0, element) })
        case .tuple(let elements):
            let items = try array()
            guard items.count == elements.count else { throw WastFailure("expected \(elements.count) elements") }
            return .tuple(try zip(items, elements).map { try value($0.0, $0.1) })
        case .record(_, let fields):
            let items = try array()
            guard items.count == fields.count else { throw WastFailure("expected \(fields.count) fields") }
            return .record(try zip(items, fields).map { item, field in
                guard let pair = item as? [Any], pair.count == 2 else { throw WastFailure("bad record field") }
                return try value(pair[1], field.type)
            })
        case .variant(_, let cases):
            guard let body = raw as? [String: Any], let name = body["case"] as? String,
                  let index = cases.firstIndex(where: { $0.name == name }) else { throw WastFailure("bad variant \(String(describing: raw))") }
            let payload = body["payload"].flatMap { $0 is NSNull ? nil : $0 }
            return .variant(caseIndex: index, payload: try cases[index].type.map { try value(payload as Any, $0) })
        case .enum(_, let cases):
            guard let index = cases.firstIndex(of: try text()) else { throw WastFailure("unknown enum case") }
            return .enum(caseIndex: index)
        case .flags(_, let names):
            let set = Set(try array().compactMap { $0 as? String })
            return .flags(names.map(set.contains))
        case .option(let inner):
            if raw == nil || raw is NSNull { return .option(nil) }
            return .option(try value(raw as Any, inner))
        case .result(let ok, let err):
            guard let body = raw as? [String: Any], let key = body.keys.first else { throw WastFailure("bad result") }
            let payload = body[key].flatMap { $0 is NSNull ? nil : $0 }
            let payloadType = key == "Ok" ? ok : err
            return .result(isError: key != "Ok", payload: try payloadType.map { try value(payload as Any, $0) })
        case .own, .borrow:
            throw WastFailure("resource handles cannot be written in a script")
        }
    }

    /// Whether `actual` (of `type`) is the value `expected` describes; floats compare by bit
    /// pattern, and `nan:canonical` / `nan:arithmetic` match the NaNs they name.
    static func matches(_ actual: ComponentValue, _ type: WITType, _ expected: Any) -> Bool {
        if let object = expected as? [String: Any], let text = object["value"] as? String, text.hasPrefix("nan:") {
            switch actual {
            case .f32(let value):
                return value.isNaN && (text == "nan:arithmetic" ? value.bitPattern & 0x0040_0000 != 0 : value.bitPattern & 0x7FFF_FFFF == 0x7FC0_0000)
            case .f64(let value):
                return value.isNaN && (text == "nan:arithmetic" ? value.bitPattern & 0x0008_0000_0000_0000 != 0 : value.bitPattern & 0x7FFF_FFFF_FFFF_FFFF == 0x7FF8_0000_0000_0000)
            default: return false
            }
        }
        guard let wanted = try? value(expected, type) else { return false }
        return same(actual, wanted)
    }

    /// Structural equality with floats by bit pattern.
    private static func same(_ a: ComponentValue, _ b: ComponentValue) -> Bool {
        switch (a, b) {
        case (.f32(let x), .f32(let y)): return x.bitPattern == y.bitPattern
        case (.f64(let x), .f64(let y)): return x.bitPattern == y.bitPattern
        case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)), (.record(let x), .record(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { same($0.0, $0.1) }
        case (.variant(let i, let x), .variant(let j, let y)): return i == j && optionalSame(x, y)
        case (.option(let x), .option(let y)): return optionalSame(x, y)
        case (.result(let e1, let x), .result(let e2, let y)): return e1 == e2 && optionalSame(x, y)
        default: return a == b
        }
    }

    private static func optionalSame(_ a: ComponentValue?, _ b: ComponentValue?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let x?, let y?): return same(x, y)
        default: return false
        }
    }
}
