import Components
import EnclaveProtocol

/// Typed JSON → component values, checked against a WIT type. Every error names where it
/// happened (`parameter 1 'a'`, `…[2]`, `….field`) and the WIT type that was expected.
enum TypedValueDecoder {
    /// Decodes `{"type":T,"value":V}` as `type`.
    static func decodeTyped(_ json: JSON, as type: WITType, at path: String) throws(TypedValueError) -> ComponentValue {
        // A missing "value" reads as null (e.g. `{"type":"option"}` for none).
        guard let object = json.objectValue, let tag = object["type"]?.stringValue else {
            throw TypedValueError("\(path): expected a typed value {\"type\": \"\(type.tag)\", \"value\": …}")
        }
        guard WITTag.accepts(tag, for: type) else {
            throw TypedValueError("\(path): expected \(type), got type '\(tag)'")
        }
        return try decodeValue(object["value"] ?? .null, as: type, at: path)
    }

    /// A nested value: typed (`{"type","value"}`) or the bare value.
    static func decodeNested(_ json: JSON, as type: WITType, at path: String) throws(TypedValueError) -> ComponentValue {
        if let object = json.objectValue, object.pairs.count == 2, object["type"]?.stringValue != nil, object["value"] != nil {
            return try decodeTyped(json, as: type, at: path)
        }
        return try decodeValue(json, as: type, at: path)
    }

    /// Decodes a bare JSON value as `type`.
    static func decodeValue(_ json: JSON, as type: WITType, at path: String) throws(TypedValueError) -> ComponentValue {
        func fail(_ what: String) -> TypedValueError { TypedValueError("\(path): expected \(type), \(what)") }
        switch type {
        case .bool:
            guard let b = json.boolValue else { throw fail("got \(kind(json))") }
            return .bool(b)
        case .s8, .u8, .s16, .u16, .s32, .u32, .s64, .u64:
            return try IntegerDecoding.decode(json, as: type, fail: fail)
        case .f32:
            return .f32(Float(try float(json, fail: fail)))
        case .f64:
            return .f64(try float(json, fail: fail))
        case .char:
            guard let s = json.stringValue else { throw fail("got \(kind(json))") }
            guard s.unicodeScalars.count == 1, let scalar = s.unicodeScalars.first else { throw fail("got a string of \(s.unicodeScalars.count) characters") }
            return .char(scalar)
        case .string:
            guard let s = json.stringValue else { throw fail("got \(kind(json))") }
            return .string(s)
        case .list(.u8):
            if let bytes = json.byteArray() { return .bytes(bytes) }
            if let text = json.stringValue {
                guard let bytes = Base64.decode(text) else { throw fail("got a string that is not base64") }
                return .bytes(bytes)
            }
            return try list(json, element: .u8, at: path, fail: fail)
        case .list(let element):
            return try list(json, element: element, at: path, fail: fail)
        case .record(_, let fields):
            return try CompoundDecoding.record(json, fields: fields, at: path, fail: fail)
        case .tuple(let elements):
            guard let array = json.arrayValue else { throw fail("got \(kind(json))") }
            guard array.count == elements.count else { throw fail("got \(array.count) elements") }
            var values: [ComponentValue] = []
            for (i, (element, item)) in zip(elements, array).enumerated() {
                values.append(try decodeNested(item, as: element, at: "\(path)[\(i)]"))
            }
            return .tuple(values)
        case .variant(_, let cases):
            return try CompoundDecoding.variant(json, cases: cases, at: path, fail: fail)
        case .enum(_, let cases):
            guard let name = json.stringValue else { throw fail("got \(kind(json))") }
            guard let index = cases.firstIndex(of: name) else { throw fail("got unknown case '\(name)'") }
            return .enum(caseIndex: index)
        case .flags(_, let names):
            return try CompoundDecoding.flags(json, names: names, fail: fail)
        case .option(let inner):
            if json.isNull { return .option(nil) }
            return .option(try decodeNested(json, as: inner, at: "\(path)?"))
        case .result(let ok, let err):
            return try CompoundDecoding.result(json, ok: ok, err: err, at: path, fail: fail)
        case .own, .borrow:
            throw TypedValueError("\(path): \(type) is a resource handle; resources are never passed by value")
        }
    }

    private static func list(_ json: JSON, element: WITType, at path: String, fail: (String) -> TypedValueError) throws(TypedValueError) -> ComponentValue {
        guard let array = json.arrayValue else { throw fail("got \(kind(json))") }
        var values: [ComponentValue] = []
        values.reserveCapacity(array.count)
        for (i, item) in array.enumerated() {
            values.append(try decodeNested(item, as: element, at: "\(path)[\(i)]"))
        }
        return .list(values)
    }

    private static func float(_ json: JSON, fail: (String) -> TypedValueError) throws(TypedValueError) -> Double {
        guard let value = TypedFloat.value(json) else { throw fail("got \(kind(json))") }
        return value
    }

    /// What a JSON value is, for error messages.
    static func kind(_ json: JSON) -> String {
        switch json {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number(let n): return "the number \(n.text)"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
