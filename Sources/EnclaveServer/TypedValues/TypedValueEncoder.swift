import Components
import EnclaveProtocol

/// Component values → typed JSON. Nested values are typed too (docs/protocol.md §3, typed values), so a client can read
/// any result without knowing the signature.
enum TypedValueEncoder {
    static func encodeTyped(_ value: ComponentValue, as type: WITType) -> JSON {
        .object(["type": .string(type.tag), "value": encodeValue(value, as: type)])
    }

    // A value that does not fit its type would be a bug in the component layer; it is written
    // as null rather than trusted.
    static func encodeValue(_ value: ComponentValue, as type: WITType) -> JSON {
        switch (value, type) {
        case (.bool(let b), .bool): return .bool(b)
        case (.s8(let v), .s8): return .int(Int64(v))
        case (.u8(let v), .u8): return .uint(UInt64(v))
        case (.s16(let v), .s16): return .int(Int64(v))
        case (.u16(let v), .u16): return .uint(UInt64(v))
        case (.s32(let v), .s32): return .int(Int64(v))
        case (.u32(let v), .u32): return .uint(UInt64(v))
        case (.s64(let v), .s64): return .int(v)
        case (.u64(let v), .u64): return .uint(v)
        // NaN and the infinities as "NaN" / "Infinity" / "-Infinity": JSON numbers cannot carry them.
        case (.f32(let v), .f32): return TypedFloat.json(v)
        case (.f64(let v), .f64): return TypedFloat.json(v)
        case (.char(let c), .char): return .string(String(Character(c)))
        case (.string(let s), .string): return .string(s)
        case (.bytes(let bytes), .list(.u8)): return .bytes(bytes)
        case (.list(let items), .list(.u8)):
            return .array(items.map { if case .u8(let b) = $0 { return .uint(UInt64(b)) } else { return .null } })
        case (.list(let items), .list(let element)): return .array(items.map { encodeTyped($0, as: element) })
        case (.record(let values), .record(_, let fields)) where values.count == fields.count:
            return .object(JSONObject(pairs: zip(fields, values).map { .init(key: $0.name, value: encodeTyped($1, as: $0.type)) }))
        case (.tuple(let values), .tuple(let types)) where values.count == types.count:
            return .array(zip(values, types).map { encodeTyped($0, as: $1) })
        case (.variant(let index, let payload), .variant(_, let cases)) where cases.indices.contains(index):
            let c = cases[index]
            let inner: JSON = zip2(payload, c.type).map { encodeTyped($0, as: $1) } ?? .null
            return .object(["case": .string(c.name), "value": inner])
        case (.enum(let index), .enum(_, let cases)) where cases.indices.contains(index): return .string(cases[index])
        case (.flags(let set), .flags(_, let names)) where set.count == names.count:
            return .array(zip(set, names).filter(\.0).map { .string($0.1) })
        case (.option(let inner), .option(let innerType)):
            return inner.map { encodeTyped($0, as: innerType) } ?? .null
        case (.result(let isError, let payload), .result(let ok, let err)):
            let inner: JSON = zip2(payload, isError ? err : ok).map { encodeTyped($0, as: $1) } ?? .null
            return .object([isError ? "err" : "ok": inner])
        case (.handle(let h), .own), (.handle(let h), .borrow): return .uint(UInt64(h))
        default: return .null
        }
    }

    private static func zip2<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
        guard let a, let b else { return nil }
        return (a, b)
    }
}
