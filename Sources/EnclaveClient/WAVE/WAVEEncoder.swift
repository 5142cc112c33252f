import EnclaveProtocol

/// Typed values of the wire protocol → WAVE text, spelled as wasm-wave's writer (and so
/// `wasmtime run --invoke`) spells them: `some(42)`, `ok("x")`, `{x: 4, y: -1}` (fields whose
/// option is `none` left out, `{:}` when none is left), `[1, 2]`, `(1, "a")`, `{read, write}`,
/// cases that are keywords prefixed with `%`, floats as `nan`/`inf`/Rust's positional digits,
/// and strings with `\t \n \r \' \" \\` and `\u{…}` escapes.
public enum WAVEEncoder {
    /// `json` (typed `{"type","value"}` or bare) written as WAVE for `type`.
    /// - Throws: ``WAVEError`` when the value does not fit the type (a server bug or a lie).
    public static func text(_ json: JSON, as type: WITType) throws -> String {
        var out = ""
        try write(json, as: type, to: &out, depth: 0)
        return out
    }

    /// The keywords a label must not be written as without `%`.
    static let keywords: Set<String> = ["true", "false", "some", "none", "ok", "err", "inf", "nan"]

    private static func write(_ typed: JSON, as type: WITType, to out: inout String, depth: Int) throws {
        guard depth < WITType.maxDescriptorDepth else { throw WAVEError("value nested deeper than \(WITType.maxDescriptorDepth)", at: nil) }
        let json = bare(typed)
        func mismatch() -> WAVEError {
            WAVEError("value \(json.serializedString.prefix(80)) does not fit \(WITTypeText.reference(type))", at: nil)
        }
        switch type {
        case .bool:
            guard let flag = json.boolValue else { throw mismatch() }
            out += flag ? "true" : "false"
        case .s8, .s16, .s32, .s64:
            guard let v = json.numberValue?.int64, json.numberValue?.isInteger == true else { throw mismatch() }
            out += String(v)
        case .u8, .u16, .u32, .u64:
            guard let v = json.numberValue?.uint64, json.numberValue?.isInteger == true else { throw mismatch() }
            out += String(v)
        case .f32:
            guard let v = TypedFloat.value(json) else { throw mismatch() }
            out += WAVEFloat.text(f32: Float(v))
        case .f64:
            guard let v = TypedFloat.value(json) else { throw mismatch() }
            out += WAVEFloat.text(f64: v)
        case .char:
            guard let text = json.stringValue, text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else { throw mismatch() }
            out += "'"
            escape(scalar, to: &out)
            out += "'"
        case .string:
            guard let text = json.stringValue else { throw mismatch() }
            out += "\""
            for scalar in text.unicodeScalars { escape(scalar, to: &out) }
            out += "\""
        case .list(let element):
            let items: [JSON]
            if element == .u8, let bytes = json.stringValue.flatMap(Base64.decode) {
                items = bytes.map { .uint(UInt64($0)) }  // base64 bytes, should a server send them
            } else {
                guard let array = json.arrayValue else { throw mismatch() }
                items = array
            }
            try sequence(items, open: "[", close: "]", to: &out) { try write($0, as: element, to: &$1, depth: depth + 1) }
        case .tuple(let types):
            guard let items = json.arrayValue, items.count == types.count else { throw mismatch() }
            try sequence(Array(zip(items, types)), open: "(", close: ")", to: &out) { try write($0.0, as: $0.1, to: &$1, depth: depth + 1) }
        case .record(_, let fields):
            guard let object = json.objectValue else { throw mismatch() }
            var present: [(WITType.Field, JSON)] = []
            for field in fields {
                guard let value = object[field.name] else { throw mismatch() }
                if case .option = field.type, bare(value).isNull { continue }
                present.append((field, value))
            }
            if present.isEmpty {
                out += "{:}"
            } else {
                try sequence(present, open: "{", close: "}", to: &out) { item, text in
                    text += item.0.name + ": "
                    try write(item.1, as: item.0.type, to: &text, depth: depth + 1)
                }
            }
        case .variant(_, let cases):
            guard let name = json["case"]?.stringValue, let match = cases.first(where: { $0.name == name }) else { throw mismatch() }
            try labelled(name, payload: json["value"], type: match.type, to: &out, depth: depth)
        case .enum(_, let cases):
            guard let name = json.stringValue, cases.contains(name) else { throw mismatch() }
            out += label(name)
        case .option(let inner):
            if json.isNull {
                out += "none"
            } else {
                out += "some("
                try write(json, as: inner, to: &out, depth: depth + 1)
                out += ")"
            }
        case .result(let ok, let err):
            guard let object = json.objectValue, object.pairs.count == 1, let key = object.keys.first, key == "ok" || key == "err" else { throw mismatch() }
            out += key
            let payload = object.pairs[0].value
            guard let payloadType = key == "ok" ? ok : err else {
                guard payload.isNull else { throw mismatch() }
                return
            }
            out += "("
            try write(payload, as: payloadType, to: &out, depth: depth + 1)
            out += ")"
        case .flags(_, let names):
            guard let items = json.arrayValue else { throw mismatch() }
            let set = try items.map { item -> String in
                guard let name = item.stringValue, names.contains(name) else { throw mismatch() }
                return name
            }
            sequence(set, open: "{", close: "}", to: &out) { $1 += $0 }
        case .own, .borrow:
            guard let number = json.numberValue else { throw mismatch() }
            out += "\(type.tag)(\(number.text))"
        }
    }

    private static func labelled(_ name: String, payload: JSON?, type: WITType?, to out: inout String, depth: Int) throws {
        out += label(name)
        guard let type else { return }
        guard let payload, !payload.isNull || isOption(type) else {
            throw WAVEError("case '\(name)' lacks its \(WITTypeText.reference(type)) payload", at: nil)
        }
        out += "("
        try write(payload, as: type, to: &out, depth: depth + 1)
        out += ")"
    }

    private static func isOption(_ type: WITType) -> Bool {
        if case .option = type { return true }
        return false
    }

    private static func sequence<T>(_ items: [T], open: String, close: String, to out: inout String,
                                    _ body: (T, inout String) throws -> Void) rethrows {
        out += open
        for (index, item) in items.enumerated() {
            if index > 0 { out += ", " }
            try body(item, &out)
        }
        out += close
    }

    /// A case name, `%`-prefixed when it is a WAVE keyword.
    static func label(_ name: String) -> String {
        keywords.contains(name) ? "%" + name : name
    }

    /// The value of a typed `{"type": T, "value": V}` object, or `json` itself when bare.
    static func bare(_ json: JSON) -> JSON {
        if let object = json.objectValue, object.pairs.count == 2, object["type"]?.stringValue != nil, let value = object["value"] {
            return value
        }
        return json
    }

    /// One character inside quotes, escaped as Rust's writer does: `\\ \" \' \t \r \n` by name,
    /// control characters as `\u{…}`, and other characters Rust does not print as themselves
    /// (format, separators other than the space, private use, unassigned, combining marks)
    /// as `\u{…}` too.
    static func escape(_ scalar: Unicode.Scalar, to out: inout String) {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "'": out += "\\'"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case "\n": out += "\\n"
        default:
            if isPrintable(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            }
        }
    }

    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x7F { return scalar.value >= 0x20 }
        if scalar.properties.isGraphemeExtend { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }
}
