import Components
import EnclaveProtocol

/// Records, variants, flags and results, in the object forms of docs/protocol.md §3, typed values and the pair forms
/// that later clients of the original send.
enum CompoundDecoding {
    typealias Fail = (String) -> TypedValueError

    /// `{"field": v, …}` or `[["field", v], …]` in declaration order.
    static func record(_ json: JSON, fields: [WITType.Field], at path: String, fail: Fail) throws(TypedValueError) -> ComponentValue {
        var values: [ComponentValue] = []
        switch json {
        case .object(let object):
            for field in fields {
                guard let item = object[field.name] else { throw fail("missing field '\(field.name)'") }
                values.append(try TypedValueDecoder.decodeNested(item, as: field.type, at: "\(path).\(field.name)"))
            }
            if let extra = object.keys.first(where: { key in !fields.contains { $0.name == key } }) {
                throw fail("got unknown field '\(extra)'")
            }
        case .array(let pairs):
            guard pairs.count == fields.count else { throw fail("got \(pairs.count) fields, expected \(fields.count)") }
            for (field, pair) in zip(fields, pairs) {
                guard let items = pair.arrayValue, items.count == 2, items[0].stringValue == field.name else {
                    throw fail("expected [\"\(field.name)\", value] in declaration order")
                }
                values.append(try TypedValueDecoder.decodeNested(items[1], as: field.type, at: "\(path).\(field.name)"))
            }
        default:
            throw fail("got \(TypedValueDecoder.kind(json))")
        }
        return .record(values)
    }

    /// `{"case": name, "value": v|null}` or `["case", v|null]`.
    static func variant(_ json: JSON, cases: [WITType.Case], at path: String, fail: Fail) throws(TypedValueError) -> ComponentValue {
        let name: String
        let payload: JSON?
        if let object = json.objectValue, let c = (object["case"] ?? object["tag"])?.stringValue {
            // `tag` is the form the MCP tool schema publishes (the original's JSON Schema).
            name = c
            payload = object["value"]
        } else if let array = json.arrayValue, (1...2).contains(array.count), let c = array[0].stringValue {
            name = c
            payload = array.count == 2 ? array[1] : nil
        } else {
            throw fail("got \(TypedValueDecoder.kind(json)) (use {\"case\": name, \"value\": …})")
        }
        guard let index = cases.firstIndex(where: { $0.name == name }) else { throw fail("got unknown case '\(name)'") }
        guard let type = cases[index].type else {
            guard payload == nil || payload == .null else { throw fail("case '\(name)' has no payload") }
            return .variant(caseIndex: index, payload: nil)
        }
        guard let payload, payload != .null else { throw fail("case '\(name)' needs a \(type) payload") }
        return .variant(caseIndex: index, payload: try TypedValueDecoder.decodeNested(payload, as: type, at: "\(path).\(name)"))
    }

    /// An array of flag names, each at most once.
    static func flags(_ json: JSON, names: [String], fail: Fail) throws(TypedValueError) -> ComponentValue {
        guard let array = json.arrayValue else { throw fail("got \(TypedValueDecoder.kind(json))") }
        var set = [Bool](repeating: false, count: names.count)
        for item in array {
            guard let name = item.stringValue, let index = names.firstIndex(of: name) else {
                throw fail("got unknown flag \(item.stringValue.map { "'\($0)'" } ?? TypedValueDecoder.kind(item))")
            }
            guard !set[index] else { throw fail("got flag '\(name)' twice") }
            set[index] = true
        }
        return .flags(set)
    }

    /// `{"ok": v|null}` or `{"err": v|null}`.
    static func result(_ json: JSON, ok: WITType?, err: WITType?, at path: String, fail: Fail) throws(TypedValueError) -> ComponentValue {
        guard let object = json.objectValue, object.pairs.count == 1, let key = object.keys.first, key == "ok" || key == "err" else {
            throw fail("got \(TypedValueDecoder.kind(json)) (use {\"ok\": …} or {\"err\": …})")
        }
        let isError = key == "err"
        let payload = object.pairs[0].value
        guard let type = isError ? err : ok else {
            guard payload.isNull else { throw fail("'\(key)' has no payload") }
            return .result(isError: isError, payload: nil)
        }
        return .result(isError: isError, payload: try TypedValueDecoder.decodeNested(payload, as: type, at: "\(path).\(key)"))
    }
}
