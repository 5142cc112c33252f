/// Puts untrusted text into a log line safely: app names, hostnames, guest output and error
/// texts come from clients and guests, and a raw CR or LF in one of them would let it write
/// lines of its own (forged entries), a terminal escape would rewrite what an operator sees,
/// and a megabyte "hostname" repeated on every certificate re-issue would fill the disk.
enum LogText {
    /// The longest field written whole; longer ones are cut and say how long they were.
    static let maxFieldBytes = 256

    /// `text` with every control or format character (C0, DEL, C1, line and paragraph
    /// separators, bidirectional overrides…) written as `\u{…}` and backslashes doubled, cut to
    /// `maxBytes` bytes of UTF-8 with the original length noted.
    static func field(_ text: String, maxBytes: Int = maxFieldBytes) -> String {
        var out = ""
        var written = 0
        for scalar in text.unicodeScalars {
            let piece = escaped(scalar)
            let size = piece.utf8.count
            guard written + size <= maxBytes else {
                out += "…(\(text.utf8.count) bytes)"
                return out
            }
            out += piece
            written += size
        }
        return out
    }

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        if scalar == "\\" { return "\\\\" }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse:
            return "\\u{\(String(scalar.value, radix: 16))}"
        default:
            return String(scalar)
        }
    }
}
