import EnclaveProtocol

/// Turns command-line words into typed call parameters (`{"type":T,"value":V}`, docs/protocol.md §3, typed values).
///
/// A word is typed by the export's WIT signature from `wasm_schema`: a `string` or `char`
/// parameter takes the word as is; any other type reads it as WAVE (`42`, `[1, 2]`,
/// `{x: 4, y: -1}`, `some(3)`, `ok("x")`, `red`), and, failing that, as the JSON of earlier
/// versions (`{"x":4}`, `null`). `TYPE:VALUE` (`u32:42`, `string:hi`, `bool:true`) overrides the
/// schema and works without one. To pass a string that itself starts with a type name and a
/// colon, prefix it: `string:u32:5`.
public enum ArgumentTyping {
    /// The tags accepted in `TYPE:VALUE`.
    public static let knownTags: Set<String> = [
        "bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64", "f32", "f64", "char", "string",
        "bytes", "list", "record", "tuple", "variant", "enum", "option", "result", "flags",
    ]

    /// Types every word; `params` is the export's parameter list when a schema is known.
    /// - Throws: ``EnclaveClientError/invalidArgument(_:)`` naming the parameter.
    public static func typedParams(_ words: [String], params: [TypedSlot]?) throws -> [JSON] {
        if let params, params.count != words.count, words.allSatisfy({ explicitTag(of: $0) == nil }) {
            let names = params.map { "\($0.name): \(describe($0.type))" }.joined(separator: ", ")
            throw EnclaveClientError.invalidArgument("expected \(params.count) argument(s) (\(names)), got \(words.count)")
        }
        return try words.enumerated().map { index, word in
            let slot = params.flatMap { index < $0.count ? $0[index] : nil }
            return try typedValue(word, type: slot?.type, label: label(index: index, slot: slot))
        }
    }

    /// Types one word: an explicit `TYPE:VALUE` wins, else the WIT type `type`.
    public static func typedValue(_ word: String, type: JSON?, label: String) throws -> JSON {
        if let (tag, rest) = explicitTag(of: word) {
            return try typed(tag: tag, text: rest, type: nil, label: label)
        }
        guard let type else {
            throw EnclaveClientError.invalidArgument(
                "\(label): no signature known for this argument; write it as TYPE:VALUE (e.g. u32:42, string:hi)")
        }
        if let primitive = type.stringValue, primitive == "string" || primitive == "char" {
            return try typed(tag: primitive, text: word, type: type, label: label)
        }
        let witType = try WITType.received(type)
        do {
            return try WAVEDecoder.typed(word, as: witType)
        } catch let wave as WAVEError {
            // The JSON forms of earlier versions still work; report the WAVE problem otherwise.
            let tag = type.stringValue ?? type["kind"]?.stringValue ?? "?"
            if let legacy = try? typed(tag: tag, text: word, type: type, label: label) { return legacy }
            throw EnclaveClientError.invalidArgument("\(label): \(wave)")
        }
    }

    /// Whether `word` carries its own type (`TYPE:VALUE`).
    public static func isExplicitlyTyped(_ word: String) -> Bool {
        explicitTag(of: word) != nil
    }

    /// `("u32", "42")` for `u32:42`, if the prefix is a known tag.
    static func explicitTag(of word: String) -> (String, String)? {
        guard let colon = word.firstIndex(of: ":") else { return nil }
        let tag = String(word[..<colon])
        guard knownTags.contains(tag) else { return nil }
        return (tag, String(word[word.index(after: colon)...]))
    }

    private static func typed(tag: String, text: String, type: JSON?, label: String) throws -> JSON {
        .object(["type": .string(tag), "value": try value(tag: tag, text: text, type: type, label: label)])
    }

    /// The bare JSON value for `text` read as `tag`; ranges are checked here so a typo fails
    /// before anything is sent.
    static func value(tag: String, text: String, type: JSON?, label: String) throws -> JSON {
        func fail(_ what: String) -> EnclaveClientError {
            .invalidArgument("\(label): expected \(type.map(describe) ?? tag), \(what)")
        }
        switch tag {
        case "string":
            return .string(text)
        case "char":
            guard text.unicodeScalars.count == 1 else { throw fail("got \(text.unicodeScalars.count) characters") }
            return .string(text)
        case "bool":
            switch text.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: throw fail("got '\(text)' (use true or false)")
            }
        case "s8", "s16", "s32", "s64":
            let bits = Int(tag.dropFirst()) ?? 64
            guard let v = Int64(text) else { throw fail("got '\(text)'") }
            if bits < 64 {
                let limit = (Int64(1) << (bits - 1)) - 1
                guard v >= -limit - 1, v <= limit else { throw fail("got \(text), out of range") }
            }
            return .int(v)
        case "u8", "u16", "u32", "u64":
            let bits = Int(tag.dropFirst()) ?? 64
            guard let v = UInt64(text) else { throw fail("got '\(text)'") }
            guard bits == 64 || v < (UInt64(1) << bits) else { throw fail("got \(text), out of range") }
            return .uint(v)
        case "f32", "f64":
            switch text.lowercased() {
            case "nan": return .string("NaN")
            case "inf", "infinity", "+inf": return .string("Infinity")
            case "-inf", "-infinity": return .string("-Infinity")
            default:
                guard let v = Double(text) else { throw fail("got '\(text)'") }
                return .double(v)
            }
        case "enum":
            // A bare case name needs no JSON quotes.
            return (try? JSON.parse(Array(text.utf8))).flatMap { $0.stringValue.map(JSON.string) } ?? .string(text)
        case "option":
            if text == "null" || text == "none" { return .null }
            if let inner = type?["inner"] {
                return try typedValue(text, type: inner, label: label + "?")
            }
            return try parseJSON(text, fail: fail)
        default:
            // list, bytes, record, tuple, variant, result, flags: JSON text, checked by the server.
            return try parseJSON(text, fail: fail)
        }
    }

    private static func parseJSON(_ text: String, fail: (String) -> EnclaveClientError) throws -> JSON {
        do {
            return try JSON.parse(Array(text.utf8))
        } catch {
            throw fail("got text that is not JSON (\(error))")
        }
    }

    private static func label(index: Int, slot: TypedSlot?) -> String {
        if let slot, !slot.name.isEmpty { return "argument \(index + 1) '\(slot.name)'" }
        return "argument \(index + 1)"
    }

    /// A WIT type in WIT syntax (`list<u32>`, `option<string>`), for messages and `schema` output.
    public static func describe(_ type: JSON) -> String {
        if let primitive = type.stringValue { return primitive }
        let name = type["name"]?.stringValue
        switch type["kind"]?.stringValue {
        case "list": return "list<\(type["element"].map(describe) ?? "?")>"
        case "option": return "option<\(type["inner"].map(describe) ?? "?")>"
        case "tuple": return "tuple<\((type["elements"]?.arrayValue ?? []).map(describe).joined(separator: ", "))>"
        case "result":
            let ok = type["ok"].flatMap { $0.isNull ? nil : describe($0) } ?? "_"
            let err = type["err"].flatMap { $0.isNull ? nil : describe($0) } ?? "_"
            return "result<\(ok), \(err)>"
        case "own": return "own<\(type["resource"]?.stringValue ?? "?")>"
        case "borrow": return "borrow<\(type["resource"]?.stringValue ?? "?")>"
        case let kind?: return name ?? kind
        case nil: return type.serializedString
        }
    }
}
