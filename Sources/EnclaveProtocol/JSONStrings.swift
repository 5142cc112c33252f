extension JSONParser {
    /// Parses a string starting at the opening quote: escapes decoded, UTF-8 validated,
    /// unescaped control characters rejected (RFC 8259 §7).
    mutating func parseString() throws(JSONError) -> String {
        let start = offset
        offset += 1  // opening quote
        // Fast path: no escapes, so the string is the raw bytes between the quotes.
        var scan = offset
        while scan < bytes.count {
            let b = bytes[scan]
            if b == UInt8(ascii: "\"") {
                let raw = UnsafeBufferPointer(rebasing: bytes[offset..<scan])
                guard let s = String(validating: raw, as: UTF8.self) else {
                    throw .invalidString("not valid UTF-8", offset: start)
                }
                offset = scan + 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw .invalidString("unescaped control character", offset: scan) }
            scan += 1
        }
        guard scan < bytes.count else { throw .unexpectedEnd }
        return try parseEscapedString(from: start)
    }

    private mutating func parseEscapedString(from start: Int) throws(JSONError) -> String {
        var utf8: [UInt8] = []
        while true {
            guard offset < bytes.count else { throw .unexpectedEnd }
            let b = bytes[offset]
            offset += 1
            switch b {
            case UInt8(ascii: "\""):
                guard let s = String(validating: utf8, as: UTF8.self) else {
                    throw .invalidString("not valid UTF-8", offset: start)
                }
                return s
            case UInt8(ascii: "\\"):
                try appendEscape(to: &utf8)
            case 0..<0x20:
                throw .invalidString("unescaped control character", offset: offset - 1)
            default:
                utf8.append(b)
            }
        }
    }

    private mutating func appendEscape(to utf8: inout [UInt8]) throws(JSONError) {
        guard offset < bytes.count else { throw .unexpectedEnd }
        let e = bytes[offset]
        offset += 1
        switch e {
        case UInt8(ascii: "\""): utf8.append(0x22)
        case UInt8(ascii: "\\"): utf8.append(0x5C)
        case UInt8(ascii: "/"): utf8.append(0x2F)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try hex4())
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw .invalidString("unpaired surrogate", offset: offset)
                }
                offset += 2
                let low = UInt32(try hex4())
                guard (0xDC00...0xDFFF).contains(low) else { throw .invalidString("unpaired surrogate", offset: offset) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw .invalidString("unpaired surrogate", offset: offset)
            }
            guard let s = Unicode.Scalar(scalar) else { throw .invalidString("invalid code point", offset: offset) }
            utf8.append(contentsOf: String(Character(s)).utf8)
        default:
            throw .invalidString("invalid escape \\\(Character(Unicode.Scalar(e)))", offset: offset - 1)
        }
    }

    private mutating func hex4() throws(JSONError) -> UInt16 {
        guard offset + 4 <= bytes.count else { throw .unexpectedEnd }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let c = bytes[offset]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - 0x30
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - 0x61 + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - 0x41 + 10
            default: throw .invalidString("invalid \\u escape", offset: offset)
            }
            value = value << 4 | UInt16(digit)
            offset += 1
        }
        return value
    }
}
