/// The tokens of WAVE syntax: labels, numbers, chars and strings (with their escapes and
/// the multiline form), read by ``WAVESyntaxParser`` where a value starts with one.
extension WAVESyntaxParser {
    /// `%`? word (`-` word)*: the first word starts with a letter; each word is all lowercase
    /// or all uppercase (digits allowed).
    mutating func label() throws -> String {
        let start = position
        if peek() == "%" { position += 1 }
        var label = ""
        var first = true
        repeat {
            if !first { label.unicodeScalars.append("-") }
            let wordStart = position
            var lower = false, upper = false
            while let c = peek(), c.isASCIIAlphanumeric {
                if ("a"..."z").contains(c) { lower = true }
                if ("A"..."Z").contains(c) { upper = true }
                label.unicodeScalars.append(c)
                position += 1
            }
            let word = text[wordStart..<position]
            guard let head = word.first, !(first && ("0"..."9").contains(head)) else {
                throw WAVEError("expected a label (kebab-case words)", at: wordStart)
            }
            guard !(lower && upper) else { throw WAVEError("label word mixes lower and upper case", at: wordStart) }
            first = false
        } while peek() == "-" && next(isLabelCharacter: 1) && advance()
        guard !label.isEmpty else { throw WAVEError("expected a label", at: start) }
        return label
    }

    mutating func number() throws -> String {
        let start = position
        if peek() == "-" {
            position += 1
            if matchWord("inf") { return "-inf" }
        }
        guard let lead = peek(), ("0"..."9").contains(lead) else { throw WAVEError("expected a number", at: start) }
        position += 1
        if lead != "0" { digits() }
        if peek() == ".", let after = peek(1), ("0"..."9").contains(after) {
            position += 1
            digits()
        }
        if peek() == "e" || peek() == "E" {
            var look = 1
            if peek(1) == "+" || peek(1) == "-" { look = 2 }
            if let d = peek(look), ("0"..."9").contains(d) {
                position += look
                digits()
            }
        }
        if let c = peek(), c.isASCIIAlphanumeric || c == "." { throw WAVEError("malformed number", at: start) }
        return String(String.UnicodeScalarView(text[start..<position]))
    }

    mutating func char() throws -> Unicode.Scalar {
        let start = position
        position += 1  // '
        guard let c = peek(), c != "'", c != "\n" else { throw WAVEError("empty or unterminated char", at: start) }
        let scalar = c == "\\" ? try escape() : take()
        guard peek() == "'" else { throw WAVEError("a char holds exactly one character; strings use \"…\"", at: start) }
        position += 1
        return scalar
    }

    mutating func string() throws -> String {
        let start = position
        if peek(1) == "\"" && peek(2) == "\"" { return try multilineString() }
        position += 1  // "
        var result = String.UnicodeScalarView()
        while true {
            guard let c = peek(), c != "\n", c != "\r" else { throw WAVEError("unterminated string", at: start) }
            if c == "\"" {
                position += 1
                return String(result)
            }
            result.append(c == "\\" ? try escape() : take())
        }
    }

    /// `"""` line break, lines, then spaces and `"""`: the closing indentation is removed from
    /// every line; inner line breaks become `\n`.
    mutating func multilineString() throws -> String {
        let start = position
        position += 3
        if peek() == "\r" { position += 1 }
        guard peek() == "\n" else { throw WAVEError("a multiline string starts with \"\"\" and a line break", at: start) }
        position += 1
        var lines: [[Unicode.Scalar]] = []
        var line: [Unicode.Scalar] = []
        while true {
            guard let c = peek() else { throw WAVEError("unterminated multiline string", at: start) }
            if c == "\"" && peek(1) == "\"" && peek(2) == "\"" {
                guard line.allSatisfy({ $0 == " " }) else {
                    throw WAVEError("the closing \"\"\" of a multiline string must be on its own line", at: position)
                }
                position += 3
                break
            }
            position += 1
            if c == "\n" {
                if line.last == "\r" { line.removeLast() }
                lines.append(line)
                line = []
            } else {
                line.append(c)
            }
        }
        let indent = line.count
        var result = String.UnicodeScalarView()
        for (index, raw) in lines.enumerated() {
            if index > 0 { result.append("\n") }
            guard raw.isEmpty || (raw.count >= indent && raw.prefix(indent).allSatisfy({ $0 == " " })) else {
                throw WAVEError("multiline string line is indented less than its closing \"\"\"", at: start)
            }
            var inner = WAVESyntaxParser(scalars: Array(raw.dropFirst(min(indent, raw.count))))
            while let c = inner.peek() { result.append(c == "\\" ? try inner.escape() : inner.take()) }
        }
        return String(result)
    }

    private init(scalars: [Unicode.Scalar]) {
        text = scalars
    }

    /// After a backslash: `\t \n \r \' \" \\` or `\u{1-6 hex digits}` naming a scalar value.
    mutating func escape() throws -> Unicode.Scalar {
        let start = position
        position += 1  // backslash
        switch take() {
        case "t": return "\t"
        case "n": return "\n"
        case "r": return "\r"
        case "'": return "'"
        case "\"": return "\""
        case "\\": return "\\"
        case "u":
            guard peek() == "{" else { throw WAVEError("invalid escape: \\u needs {hex}", at: start) }
            position += 1
            var hex = ""
            while let c = peek(), c.properties.isASCIIHexDigit, hex.count < 7 {
                hex.unicodeScalars.append(c)
                position += 1
            }
            guard peek() == "}", (1...6).contains(hex.count), let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                throw WAVEError("invalid escape: \\u{…} must hold 1-6 hex digits of a Unicode scalar value", at: start)
            }
            position += 1
            return scalar
        default:
            throw WAVEError("invalid escape (use \\t \\n \\r \\' \\\" \\\\ or \\u{…})", at: start)
        }
    }
}
