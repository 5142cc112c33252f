import Foundation
import Components

/// The JSON encoding of component values and types shared with `Guests/wasmtime_oracle.py`
/// (its docstring is the specification). Swift produces exactly the text Python's
/// `json.dumps(…, ensure_ascii=True, separators=(",", ":"))` produces, so results are compared
/// as text and Swift never parses 64-bit integers or floats.
enum ValueJSON {
    struct Mismatch: Error, CustomStringConvertible {
        var description: String
    }

    /// Canonical text of a list of values of the given types. Results use "nan" for every NaN;
    /// arguments (`exactNaN`) keep the bit pattern so wasmtime receives the very same input.
    static func encode(_ values: [ComponentValue], _ types: [WITType], exactNaN: Bool = false) throws -> String {
        guard values.count == types.count else { throw Mismatch(description: "\(values.count) values for \(types.count) types") }
        return "[" + (try zip(values, types).map { try encode($0, $1, exactNaN: exactNaN) }).joined(separator: ",") + "]"
    }

    static func encode(_ value: ComponentValue, _ type: WITType, exactNaN: Bool = false) throws -> String {
        func encode(_ value: ComponentValue, _ type: WITType) throws -> String {
            try ValueJSON.encode(value, type, exactNaN: exactNaN)
        }
        func tagged(_ tag: String, _ payload: ComponentValue?, _ type: WITType?) throws -> String {
            try ValueJSON.tagged(tag, payload, type, exactNaN: exactNaN)
        }
        switch (value, type) {
        case (.bool(let b), .bool): return b ? "true" : "false"
        case (.u8(let v), .u8): return String(v)
        case (.s8(let v), .s8): return String(v)
        case (.u16(let v), .u16): return String(v)
        case (.s16(let v), .s16): return String(v)
        case (.u32(let v), .u32): return String(v)
        case (.s32(let v), .s32): return String(v)
        case (.u64(let v), .u64): return String(v)
        case (.s64(let v), .s64): return String(v)
        case (.f32(let v), .f32): return v.isNaN && !exactNaN ? "\"nan\"" : "\"0x" + hex(UInt64(v.bitPattern), digits: 8) + "\""
        case (.f64(let v), .f64): return v.isNaN && !exactNaN ? "\"nan\"" : "\"0x" + hex(v.bitPattern, digits: 16) + "\""
        case (.char(let c), .char): return quote(String(Character(c)))
        case (.string(let s), .string): return quote(s)
        case (.bytes(let bytes), .list):
            return try encode(.list(bytes.map(ComponentValue.u8)), type)
        case (.list(let items), .list(let element)):
            return "[" + (try items.map { try encode($0, element) }).joined(separator: ",") + "]"
        case (.record(let fields), .record(_, let types)) where fields.count == types.count:
            return "{" + (try zip(fields, types).map { quote($1.name) + ":" + (try encode($0, $1.type)) }).joined(separator: ",") + "}"
        case (.tuple(let items), .tuple(let types)) where items.count == types.count:
            return "[" + (try zip(items, types).map { try encode($0, $1) }).joined(separator: ",") + "]"
        case (.variant(let index, let payload), .variant(_, let cases)) where cases.indices.contains(index):
            return try tagged(cases[index].name, payload, cases[index].type)
        case (.enum(let index), .enum(_, let cases)) where cases.indices.contains(index):
            return quote(cases[index])
        case (.option(let inner), .option(let payloadType)):
            return try inner.map { try tagged("some", $0, payloadType) } ?? "{\"none\":null}"
        case (.result(let isError, let payload), .result(let ok, let err)):
            return try tagged(isError ? "err" : "ok", payload, isError ? err : ok)
        case (.flags(let bits), .flags(_, let names)) where bits.count == names.count:
            return "[" + zip(bits, names).filter(\.0).map { quote($0.1) }.joined(separator: ",") + "]"
        default:
            throw Mismatch(description: "value \(value) does not have type \(type)")
        }
    }

    private static func tagged(_ tag: String, _ payload: ComponentValue?, _ type: WITType?, exactNaN: Bool) throws -> String {
        switch (payload, type) {
        case (nil, nil): return "{\(quote(tag)):null}"
        case (let value?, let type?): return "{\(quote(tag)):\(try encode(value, type, exactNaN: exactNaN))}"
        default: throw Mismatch(description: "case \(tag): payload and type disagree")
        }
    }

    private static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// A JSON string literal escaped as Python's `ensure_ascii=True` does.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value >= 0x20 && scalar.value < 0x7F {
                    out.unicodeScalars.append(scalar)
                } else {
                    for unit in String(scalar).utf16 { out += "\\u" + hex(UInt64(unit), digits: 4) }
                }
            }
        }
        return out + "\""
    }

    // MARK: types

    /// Canonical text of a function signature: {"params":[[name,T]],"result":T|null}.
    static func encode(signature: WITFunctionType) -> String {
        let params = signature.params.map { "[\(quote($0.name)),\(encode(type: $0.type))]" }.joined(separator: ",")
        let result = signature.results.isEmpty ? "null"
            : signature.results.count == 1 ? encode(type: signature.results[0].type)
            : "[" + signature.results.map { encode(type: $0.type) }.joined(separator: ",") + "]"
        return "{\"params\":[\(params)],\"result\":\(result)}"
    }

    static func encode(type: WITType) -> String {
        func opt(_ t: WITType?) -> String { t.map(encode(type:)) ?? "null" }
        switch type {
        case .list(let e): return "{\"list\":\(encode(type: e))}"
        case .record(_, let fields):
            return "{\"record\":[" + fields.map { "[\(quote($0.name)),\(encode(type: $0.type))]" }.joined(separator: ",") + "]}"
        case .tuple(let es): return "{\"tuple\":[" + es.map(encode(type:)).joined(separator: ",") + "]}"
        case .variant(_, let cases):
            return "{\"variant\":[" + cases.map { "[\(quote($0.name)),\(opt($0.type))]" }.joined(separator: ",") + "]}"
        case .enum(_, let cases): return "{\"enum\":[" + cases.map(quote).joined(separator: ",") + "]}"
        case .option(let t): return "{\"option\":\(encode(type: t))}"
        case .result(let ok, let err): return "{\"result\":[\(opt(ok)),\(opt(err))]}"
        case .flags(_, let names): return "{\"flags\":[" + names.map(quote).joined(separator: ",") + "]}"
        case .own: return "{\"own\":\"resource\"}"
        case .borrow: return "{\"borrow\":\"resource\"}"
        default: return quote(type.description)  // the primitives spell themselves
        }
    }

    /// Parses a type descriptor as JSONSerialization returns it.
    static func decodeType(_ json: Any) throws -> WITType {
        if let name = json as? String {
            let primitives: [String: WITType] = [
                "bool": .bool, "u8": .u8, "s8": .s8, "u16": .u16, "s16": .s16, "u32": .u32, "s32": .s32,
                "u64": .u64, "s64": .s64, "f32": .f32, "f64": .f64, "char": .char, "string": .string,
            ]
            if let t = primitives[name] { return t }
        }
        guard let object = json as? [String: Any], object.count == 1, let (kind, body) = object.first else {
            throw Mismatch(description: "bad type descriptor \(json)")
        }
        func pairs() throws -> [(String, Any)] {
            guard let list = body as? [[Any]] else { throw Mismatch(description: "bad \(kind) body") }
            return try list.map { pair in
                guard pair.count == 2, let name = pair[0] as? String else { throw Mismatch(description: "bad \(kind) entry") }
                return (name, pair[1])
            }
        }
        func optional(_ j: Any) throws -> WITType? { j is NSNull ? nil : try decodeType(j) }
        switch kind {
        case "list": return .list(try decodeType(body))
        case "option": return .option(try decodeType(body))
        case "tuple": return .tuple(try (body as? [Any] ?? []).map(decodeType))
        case "record": return .record(name: nil, fields: try pairs().map { WITType.Field(name: $0.0, type: try decodeType($0.1)) })
        case "variant": return .variant(name: nil, cases: try pairs().map { WITType.Case(name: $0.0, type: try optional($0.1)) })
        case "enum": return .enum(name: nil, cases: body as? [String] ?? [])
        case "flags": return .flags(name: nil, names: body as? [String] ?? [])
        case "own": return .own(resource: body as? String ?? "resource")
        case "borrow": return .borrow(resource: body as? String ?? "resource")
        case "result":
            guard let pair = body as? [Any], pair.count == 2 else { throw Mismatch(description: "bad result") }
            return .result(ok: try optional(pair[0]), err: try optional(pair[1]))
        default: throw Mismatch(description: "unsupported type kind \(kind)")
        }
    }

    static func decodeSignature(_ json: Any) throws -> WITFunctionType {
        guard let object = json as? [String: Any], let params = object["params"] as? [[Any]] else {
            throw Mismatch(description: "bad signature \(json)")
        }
        let parameters = try params.map { WITParameter(name: $0[0] as? String ?? "", type: try decodeType($0[1])) }
        let result = object["result"].flatMap { $0 is NSNull ? nil : $0 }
        return WITFunctionType(params: parameters, results: try result.map { [WITParameter(name: "", type: try decodeType($0))] } ?? [])
    }
}
