/// The untyped syntax of WAVE (the value encoding of `wasmtime run --invoke` and the `wasm-wave`
/// crate): what the text says before a WIT type gives it meaning. `red` is a label whether the
/// type is an enum or a variant; `{}` is empty flags, `{:}` an empty record.
struct WAVENode: Sendable {
    indirect enum Kind: Sendable {
        /// The number's text, as written (`-12`, `3.5e-2`, `inf`, `-inf`, `nan`).
        case number(String)
        case char(Unicode.Scalar)
        case string(String)
        case bool(Bool)
        /// A label (a `%` prefix removed), with its payload when written `label(…)`.
        case label(String, payload: WAVENode?)
        /// `some(x)`; `none` is `.none`.
        case some(WAVENode)
        case none
        /// `ok`, `ok(x)`, `err`, `err(x)`.
        case ok(WAVENode?)
        case err(WAVENode?)
        case tuple([WAVENode])
        case list([WAVENode])
        /// Fields in written order (duplicates already refused).
        case record([(String, WAVENode)])
        case flags([String])
    }

    let kind: Kind
    /// Offset of the node's first character in the text (in characters, for messages).
    let offset: Int
}

/// A WAVE text that cannot be read, or does not fit its type; says where.
public struct WAVEError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    /// Character offset in the text, when known.
    public let offset: Int?

    init(_ message: String, at offset: Int?) {
        self.message = message
        self.offset = offset
    }

    public var description: String {
        offset.map { "\(message) (at character \($0 + 1))" } ?? message
    }
}

/// Reads WAVE syntax into ``WAVENode``s. The grammar is wasm-wave's (`wave_ebnf.md`):
/// numbers, `'c'` chars, `"…"` and `"""` multiline strings with `\t \n \r \' \" \\ \u{…}`
/// escapes, labels (kebab-case words, `%` escapes a keyword), `(…)` tuples, `[…]` lists,
/// `{a: 1}` records, `{a, b}` flags, keywords `true false some none ok err inf nan`, and
/// `//` comments.
struct WAVESyntaxParser {
    /// Deepest nesting accepted (as wasm-wave's parser).
    static let maxDepth = 100
    /// Longest text accepted.
    static let maxLength = 16 << 20

    /// The text being read, and where: the token readers (`+Tokens`) share them.
    let text: [Unicode.Scalar]
    var position = 0
    private var depth = 0

    init(_ source: String) throws {
        guard source.utf8.count <= Self.maxLength else { throw WAVEError("WAVE text longer than \(Self.maxLength) bytes", at: nil) }
        text = Array(source.unicodeScalars)
    }

    /// Parses one whole value; anything but whitespace and comments after it is an error.
    static func parseValue(_ source: String) throws -> WAVENode {
        var parser = try WAVESyntaxParser(source)
        let node = try parser.value()
        try parser.expectEnd()
        return node
    }

    /// Parses `name(arg, …)`: the function name (anything before the first `(`, trimmed) and
    /// its argument nodes.
    static func parseCall(_ source: String) throws -> (name: String, arguments: [WAVENode]) {
        var parser = try WAVESyntaxParser(source)
        guard let open = parser.text.firstIndex(of: "(") else { throw WAVEError("expected name(arguments…)", at: nil) }
        let name = String(String.UnicodeScalarView(parser.text[..<open])).trimmingSpaces()
        guard !name.isEmpty else { throw WAVEError("missing function name before '('", at: 0) }
        parser.position = open + 1
        let arguments = try parser.sequence(until: ")")
        try parser.expectEnd()
        return (name, arguments)
    }

    // MARK: - Values

    mutating func value() throws -> WAVENode {
        guard depth < Self.maxDepth else { throw WAVEError("nesting deeper than \(Self.maxDepth)", at: position) }
        depth += 1
        defer { depth -= 1 }
        skipSpace()
        let start = position
        guard let first = peek() else { throw WAVEError("unexpected end of text, expected a value", at: position) }
        switch first {
        case "(":
            position += 1
            let items = try sequence(until: ")")
            guard !items.isEmpty else { throw WAVEError("empty tuple", at: start) }
            return WAVENode(kind: .tuple(items), offset: start)
        case "[":
            position += 1
            return WAVENode(kind: .list(try sequence(until: "]")), offset: start)
        case "{":
            return try recordOrFlags()
        case "'":
            return WAVENode(kind: .char(try char()), offset: start)
        case "\"":
            return WAVENode(kind: .string(try string()), offset: start)
        case "-", "0"..."9":
            return WAVENode(kind: .number(try number()), offset: start)
        case "%", "a"..."z", "A"..."Z":
            return try labelOrKeyword()
        default:
            throw WAVEError("unexpected '\(first)'", at: start)
        }
    }

    /// Comma-separated values up to `close` (consumed); a trailing comma is allowed.
    private mutating func sequence(until close: Unicode.Scalar) throws -> [WAVENode] {
        var items: [WAVENode] = []
        skipSpace()
        if peek() == close {
            position += 1
            return items
        }
        while true {
            items.append(try value())
            skipSpace()
            switch peek() {
            case ","?:
                position += 1
                skipSpace()
                if peek() == close {
                    position += 1
                    return items
                }
            case close?:
                position += 1
                return items
            default:
                throw unexpected(expected: "',' or '\(close)'")
            }
        }
    }

    private mutating func recordOrFlags() throws -> WAVENode {
        let start = position
        position += 1  // {
        skipSpace()
        if peek() == ":" {
            position += 1
            skipSpace()
            try expect("}")
            return WAVENode(kind: .record([]), offset: start)
        }
        if peek() == "}" {
            position += 1
            return WAVENode(kind: .flags([]), offset: start)
        }
        // A record when the first label is followed by ':'.
        let save = position
        _ = try label()
        skipSpace()
        let isRecord = peek() == ":"
        position = save
        var fields: [(String, WAVENode)] = []
        var flags: [String] = []
        while true {
            skipSpace()
            let labelStart = position
            let name = try label()
            if isRecord {
                guard !fields.contains(where: { $0.0 == name }) else { throw WAVEError("duplicate field '\(name)'", at: labelStart) }
                skipSpace()
                try expect(":")
                fields.append((name, try value()))
            } else {
                guard !flags.contains(name) else { throw WAVEError("duplicate flag '\(name)'", at: labelStart) }
                flags.append(name)
            }
            skipSpace()
            if peek() == "," {
                position += 1
                skipSpace()
            }
            if peek() == "}" {
                position += 1
                break
            }
            if peek() == nil { throw WAVEError("unexpected end of text, expected '}'", at: position) }
        }
        return WAVENode(kind: isRecord ? .record(fields) : .flags(flags), offset: start)
    }

    private mutating func labelOrKeyword() throws -> WAVENode {
        let start = position
        let escaped = peek() == "%"
        let name = try label()
        if !escaped {
            switch name {
            case "true": return WAVENode(kind: .bool(true), offset: start)
            case "false": return WAVENode(kind: .bool(false), offset: start)
            case "inf", "nan": return WAVENode(kind: .number(name), offset: start)
            case "none": return WAVENode(kind: .none, offset: start)
            case "some":
                guard let payload = try payload() else { throw WAVEError("'some' needs a payload: some(…)", at: start) }
                return WAVENode(kind: .some(payload), offset: start)
            case "ok": return WAVENode(kind: .ok(try payload()), offset: start)
            case "err": return WAVENode(kind: .err(try payload()), offset: start)
            default: break
            }
        }
        return WAVENode(kind: .label(name, payload: try payload()), offset: start)
    }

    /// `(value)` right after a label, or nil.
    private mutating func payload() throws -> WAVENode? {
        let save = position
        skipSpace()
        guard peek() == "(" else {
            position = save
            return nil
        }
        position += 1
        let inner = try value()
        skipSpace()
        try expect(")")
        return inner
    }

    // MARK: - Scanning

    func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        position + ahead < text.count ? text[position + ahead] : nil
    }

    mutating func take() -> Unicode.Scalar {
        defer { position += 1 }
        return text[position]
    }

    mutating func digits() {
        while let c = peek(), ("0"..."9").contains(c) { position += 1 }
    }

    func next(isLabelCharacter ahead: Int) -> Bool {
        peek(ahead)?.isASCIIAlphanumeric ?? false
    }

    mutating func advance() -> Bool {
        position += 1
        return true
    }

    mutating func matchWord(_ word: String) -> Bool {
        let scalars = Array(word.unicodeScalars)
        guard position + scalars.count <= text.count, Array(text[position..<position + scalars.count]) == scalars else { return false }
        if let after = peek(scalars.count), after.isASCIIAlphanumeric || after == "-" { return false }
        position += scalars.count
        return true
    }

    mutating func expect(_ c: Unicode.Scalar) throws {
        guard peek() == c else { throw unexpected(expected: "'\(c)'") }
        position += 1
    }

    func unexpected(expected: String) -> WAVEError {
        WAVEError(peek().map { "expected \(expected), got '\($0)'" } ?? "unexpected end of text, expected \(expected)", at: position)
    }

    /// Skips whitespace and `//` comments.
    mutating func skipSpace() {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                position += 1
            } else if c == "/" && peek(1) == "/" {
                while let d = peek(), d != "\n" { position += 1 }
            } else {
                return
            }
        }
    }

    mutating func expectEnd() throws {
        skipSpace()
        if let c = peek() { throw WAVEError("unexpected '\(c)' after the value", at: position) }
    }
}

extension Unicode.Scalar {
    var isASCIIAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line breaks.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
