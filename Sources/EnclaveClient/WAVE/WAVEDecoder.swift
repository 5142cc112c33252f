import EnclaveProtocol

/// WAVE text → typed values of the wire protocol (`{"type":T,"value":V}`, docs/protocol.md §3, typed values), checked
/// against the WIT type from `wasm_schema`. Nested values are typed as the server writes them,
/// so `some(none)` stays distinct from `none`. Rules follow wasm-wave: a record may omit
/// `option` fields (they are `none`); `some(x)` and `ok(x)` may be written as `x` when x is not
/// itself an option or result; flags may come in any order; integers are checked against their
/// range; `nan`, `inf`, `-inf` are floats.
public enum WAVEDecoder {
    /// The typed value of `text` read as `type`.
    public static func typed(_ text: String, as type: WITType) throws -> JSON {
        try typed(WAVESyntaxParser.parseValue(text), as: type)
    }

    /// A parsed function call: the export name and its typed arguments. Trailing `option`
    /// parameters may be left out (they are `none`), as wasm-wave allows.
    public static func call(_ text: String, params: (String) throws -> [WITType]) throws -> (function: String, arguments: [JSON]) {
        let (name, nodes) = try WAVESyntaxParser.parseCall(text)
        let types = try params(name)
        guard nodes.count <= types.count else {
            throw WAVEError("\(name) takes \(types.count) argument(s), got \(nodes.count)", at: nodes[types.count].offset)
        }
        var arguments = try zip(nodes, types).map { try typed($0, as: $1) }
        for type in types.dropFirst(nodes.count) {
            guard case .option = type else {
                throw WAVEError("\(name) takes \(types.count) argument(s), got \(nodes.count)", at: nil)
            }
            arguments.append(.object(["type": "option", "value": .null]))
        }
        return (name, arguments)
    }

    static func typed(_ node: WAVENode, as type: WITType) throws -> JSON {
        .object(["type": .string(type.tag), "value": try value(node, as: type)])
    }

    /// The bare wire value of `node` read as `type` (nested values typed).
    static func value(_ node: WAVENode, as type: WITType) throws -> JSON {
        func mismatch() -> WAVEError { WAVEError("expected \(WITTypeText.reference(type)), got \(node.kind.summary)", at: node.offset) }
        switch (type, node.kind) {
        case (.bool, .bool(let flag)): return .bool(flag)
        case (.s8, .number(let text)), (.s16, .number(let text)), (.s32, .number(let text)), (.s64, .number(let text)):
            return .int(try signed(text, bits: type.bitWidth, node: node, type: type))
        case (.u8, .number(let text)), (.u16, .number(let text)), (.u32, .number(let text)), (.u64, .number(let text)):
            return .uint(try unsigned(text, bits: type.bitWidth, node: node, type: type))
        case (.f32, .number(let text)):
            guard let v = Float(text) else { throw mismatch() }
            return WAVEFloat.json(f32: v)
        case (.f64, .number(let text)):
            guard let v = Double(text) else { throw mismatch() }
            return WAVEFloat.json(f64: v)
        case (.char, .char(let scalar)): return .string(String(Character(scalar)))
        case (.string, .string(let text)): return .string(text)
        case (.list(let element), .list(let items)):
            if element == .u8 { return .array(try items.map { try value($0, as: .u8) }) }
            return .array(try items.map { try typed($0, as: element) })
        case (.tuple(let types), .tuple(let items)):
            guard types.count == items.count else {
                throw WAVEError("expected a tuple of \(types.count) values, got \(items.count)", at: node.offset)
            }
            return .array(try zip(items, types).map { try typed($0, as: $1) })
        case (.record(_, let fields), .record(let given)):
            return try record(given, fields: fields, node: node)
        case (.variant(_, let cases), .label(let name, let payload)):
            guard let index = cases.firstIndex(where: { $0.name == name }) else {
                throw WAVEError("unknown case '\(name)' of \(WITTypeText.reference(type)); cases: \(cases.map(\.name).joined(separator: ", "))", at: node.offset)
            }
            return .object(["case": .string(name), "value": try casePayload(payload, type: cases[index].type, label: name, node: node)])
        case (.enum(_, let cases), .label(let name, nil)):
            guard cases.contains(name) else {
                throw WAVEError("unknown case '\(name)' of \(WITTypeText.reference(type)); cases: \(cases.joined(separator: ", "))", at: node.offset)
            }
            return .string(name)
        case (.option(let inner), .some(let payload)): return try typed(payload, as: inner)
        case (.option, .none): return .null
        case (.option(let inner), _) where inner.isFlattenable: return try typed(node, as: inner)
        case (.result(let ok, _), .ok(let payload)):
            return .object(["ok": try casePayload(payload, type: ok, label: "ok", node: node)])
        case (.result(_, let err), .err(let payload)):
            return .object(["err": try casePayload(payload, type: err, label: "err", node: node)])
        case (.result(let ok?, _), _) where ok.isFlattenable: return .object(["ok": try typed(node, as: ok)])
        case (.flags(_, let names), .flags(let given)):
            for flag in given where !names.contains(flag) {
                throw WAVEError("unknown flag '\(flag)' of \(WITTypeText.reference(type)); flags: \(names.joined(separator: ", "))", at: node.offset)
            }
            return .array(names.filter(given.contains).map(JSON.string))
        case (.record, .flags([])):
            throw WAVEError("expected \(WITTypeText.reference(type)); an empty record is written {:}", at: node.offset)
        case (.own, _), (.borrow, _):
            throw WAVEError("\(WITTypeText.reference(type)) is a resource handle; resources are never passed by value", at: node.offset)
        default:
            throw mismatch()
        }
    }

    private static func record(_ given: [(String, WAVENode)], fields: [WITType.Field], node: WAVENode) throws -> JSON {
        for (name, item) in given where !fields.contains(where: { $0.name == name }) {
            throw WAVEError("unknown field '\(name)'; fields: \(fields.map(\.name).joined(separator: ", "))", at: item.offset)
        }
        var object = JSONObject(pairs: [])
        for field in fields {
            if let item = given.first(where: { $0.0 == field.name })?.1 {
                object.append(field.name, try typed(item, as: field.type))
            } else if case .option = field.type {
                object.append(field.name, .object(["type": "option", "value": .null]))
            } else {
                throw WAVEError("missing field '\(field.name)' (\(WITTypeText.reference(field.type)))", at: node.offset)
            }
        }
        return .object(object)
    }

    private static func casePayload(_ payload: WAVENode?, type: WITType?, label: String, node: WAVENode) throws -> JSON {
        switch (payload, type) {
        case (let payload?, let type?): return try typed(payload, as: type)
        case (nil, nil): return .null
        case (nil, let type?): throw WAVEError("'\(label)' needs a \(WITTypeText.reference(type)) payload: \(label)(…)", at: node.offset)
        case (_?, nil): throw WAVEError("'\(label)' has no payload", at: node.offset)
        }
    }

    private static func signed(_ text: String, bits: Int, node: WAVENode, type: WITType) throws -> Int64 {
        guard isInteger(text) else { throw WAVEError("expected an integer (\(type.tag)), got \(text)", at: node.offset) }
        let limit = bits == 64 ? Int64.max : (Int64(1) << (bits - 1)) - 1
        guard let v = Int64(text), v >= -limit - 1, v <= limit else {
            throw WAVEError("\(text) is out of range for \(type.tag)", at: node.offset)
        }
        return v
    }

    private static func unsigned(_ text: String, bits: Int, node: WAVENode, type: WITType) throws -> UInt64 {
        guard isInteger(text) else { throw WAVEError("expected an integer (\(type.tag)), got \(text)", at: node.offset) }
        guard !text.hasPrefix("-"), let v = UInt64(text), bits == 64 || v < (UInt64(1) << bits) else {
            throw WAVEError("\(text) is out of range for \(type.tag)", at: node.offset)
        }
        return v
    }

    /// Integer syntax: no fraction, exponent, `inf` or `nan`.
    private static func isInteger(_ text: String) -> Bool {
        !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" || $0 == "i" || $0 == "n" })
    }
}

extension WITType {
    /// Whether `some(x)` / `ok(x)` may be written as plain `x` (not when x is an option or result).
    var isFlattenable: Bool {
        switch self {
        case .option, .result: return false
        default: return true
        }
    }

    var bitWidth: Int {
        switch self {
        case .s8, .u8: return 8
        case .s16, .u16: return 16
        case .s32, .u32: return 32
        default: return 64
        }
    }
}

extension WAVENode.Kind {
    /// What a node is, for messages (`a string`, `the label 'red'`).
    var summary: String {
        switch self {
        case .number(let text): return "the number \(text)"
        case .char: return "a char"
        case .string: return "a string"
        case .bool(let flag): return flag ? "true" : "false"
        case .label(let name, let payload): return payload == nil ? "the label '\(name)'" : "the case '\(name)(…)'"
        case .some: return "some(…)"
        case .none: return "none"
        case .ok: return "ok"
        case .err: return "err"
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .record: return "a record"
        case .flags: return "flags"
        }
    }
}
