// Byte-level text helpers. The app handles text as UTF-8 bytes instead of `String`, which
// keeps the component small (real `String` APIs pull in the Unicode tables, ~120 KB).

/// A growable UTF-8 byte buffer in guest memory, used to build every result string. Appending
/// is a block copy (`memory.copy`), never a loop per byte, and the buffer doubles when full, so
/// a 1 MiB value costs a few dozen operations of fuel. (The bump allocator never frees: growth
/// leaves at most the final size again behind, which a fresh instance per call reclaims.)
struct Bytes {
    /// The first byte; nil while empty.
    private(set) var start: UnsafeMutableRawPointer?
    private(set) var count = 0
    private var capacity = 0

    /// The bytes appended so far.
    var buffer: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: start?.assumingMemoryBound(to: UInt8.self), count: count)
    }

    var isEmpty: Bool { count == 0 }

    /// Room for `extra` more bytes; returns where they go.
    private mutating func reserve(_ extra: Int) -> UnsafeMutableRawPointer {
        if count + extra > capacity {
            let grown = allocate(max(2 * capacity, count + extra, 32))
            if let start, count > 0 { grown.copyMemory(from: start, byteCount: count) }
            start = grown
            capacity = max(2 * capacity, count + extra, 32)
        }
        return start.unsafelyUnwrapped + count
    }

    /// Appends a string literal.
    mutating func append(_ text: StaticString) {
        append(UnsafeRawPointer(text.utf8Start), text.utf8CodeUnitCount)
    }

    /// Appends raw bytes from guest memory (a `nil` pointer is only valid with `count == 0`).
    mutating func append(_ pointer: UnsafeRawPointer?, _ count: Int) {
        guard let pointer, count > 0 else { return }
        reserve(count).copyMemory(from: pointer, byteCount: count)
        self.count += count
    }

    /// Appends bytes.
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        append(bytes.baseAddress.map(UnsafeRawPointer.init), bytes.count)
    }

    /// Appends one byte.
    mutating func append(byte: UInt8) {
        reserve(1).storeBytes(of: byte, as: UInt8.self)
        count += 1
    }

    /// Appends `value` in decimal.
    mutating func append(decimal value: UInt64) { append(decimal: value, minimumDigits: 1) }

    /// Appends `value` in decimal, left-padded with zeros to `minimumDigits`.
    mutating func append(decimal value: UInt64, minimumDigits: Int) {
        var digits: [UInt8] = []
        var rest = value
        repeat {
            digits.append(UInt8(truncatingIfNeeded: rest % 10) + 48)
            rest /= 10
        } while rest > 0
        while digits.count < minimumDigits { digits.append(48) }
        for digit in digits.reversed() { append(byte: digit) }
    }

    /// Appends a Unicode scalar as UTF-8 (the caller checked it is a valid scalar).
    mutating func append(scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            append(byte: UInt8(scalar))
        case 0x80..<0x800:
            append(byte: UInt8(0xC0 | (scalar >> 6)))
            append(byte: UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            append(byte: UInt8(0xE0 | (scalar >> 12)))
            append(byte: UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            append(byte: UInt8(0x80 | (scalar & 0x3F)))
        default:
            append(byte: UInt8(0xF0 | (scalar >> 18)))
            append(byte: UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            append(byte: UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            append(byte: UInt8(0x80 | (scalar & 0x3F)))
        }
    }
}

/// Replacement character U+FFFD, used where the network sent invalid UTF-8: a WIT `string`
/// must be valid UTF-8 or the host rejects the whole result.
let replacementScalar: UInt32 = 0xFFFD

/// Copies `input` into `output`, replacing every invalid UTF-8 sequence with U+FFFD.
func appendValidUTF8(_ input: UnsafeBufferPointer<UInt8>, to output: inout Bytes) {
    var i = 0
    while i < input.count {
        let lead = input[i]
        var length = 0
        var scalar: UInt32 = 0
        var minimum: UInt32 = 0
        switch lead {
        case 0x00..<0x80: length = 1; scalar = UInt32(lead)
        case 0xC2..<0xE0: length = 2; scalar = UInt32(lead & 0x1F); minimum = 0x80
        case 0xE0..<0xF0: length = 3; scalar = UInt32(lead & 0x0F); minimum = 0x800
        case 0xF0..<0xF5: length = 4; scalar = UInt32(lead & 0x07); minimum = 0x10000
        default: length = 0
        }
        var valid = length > 0 && i + length <= input.count
        if valid {
            for k in 1..<max(length, 1) where valid {
                let next = input[i + k]
                if next & 0xC0 != 0x80 { valid = false } else { scalar = (scalar << 6) | UInt32(next & 0x3F) }
            }
        }
        if valid && length > 1 {
            valid = scalar >= minimum && scalar <= 0x10FFFF && !(0xD800...0xDFFF).contains(scalar)
        }
        if valid {
            output.append(scalar: scalar)
            i += length
        } else {
            output.append(scalar: replacementScalar)
            i += 1
        }
    }
}

// MARK: - HTML headlines

/// ASCII lower-casing for tag matching.
@inline(__always)
func lowercased(_ byte: UInt8) -> UInt8 { (byte >= 65 && byte <= 90) ? byte + 32 : byte }

/// Whether `html[at...]` starts with the lower-case ASCII `pattern`, ignoring case.
func hasPrefix(_ html: UnsafeBufferPointer<UInt8>, at: Int, _ pattern: StaticString) -> Bool {
    let count = pattern.utf8CodeUnitCount
    guard at >= 0, at + count <= html.count else { return false }
    for k in 0..<count where lowercased(html[at + k]) != pattern.utf8Start[k] { return false }
    return true
}

/// The first index at or after `from` where `pattern` starts (case-insensitive), or nil.
func find(_ html: UnsafeBufferPointer<UInt8>, _ pattern: StaticString, from: Int) -> Int? {
    var i = from
    while i + pattern.utf8CodeUnitCount <= html.count {
        if hasPrefix(html, at: i, pattern) { return i }
        i += 1
    }
    return nil
}

/// Up to `limit` `<h3>` titles: inner tags stripped, entities decoded, whitespace collapsed,
/// empty titles skipped. A missing `</h3>` ends the scan (a truncated page yields what it has).
func extractHeadlines(_ html: UnsafeBufferPointer<UInt8>, limit: Int) -> [Bytes] {
    var titles: [Bytes] = []
    var cursor = 0
    while titles.count < limit, let open = find(html, "<h3", from: cursor) {
        let after = open + 3
        // `<h3>` or `<h3 class=…>`, but not e.g. `<h30>`.
        guard after < html.count else { break }
        let next = html[after]
        guard next == 62 || next == 32 || next == 9 || next == 10 || next == 13 || next == 47 else {
            cursor = after
            continue
        }
        guard let tagEnd = find(html, ">", from: after),
              let close = find(html, "</h3", from: tagEnd + 1) else { break }
        let title = cleanTitle(html, from: tagEnd + 1, to: close)
        if !title.isEmpty { titles.append(title) }
        cursor = close + 4
    }
    return titles
}

/// Strips tags, decodes entities and collapses whitespace in `html[from..<to]`.
func cleanTitle(_ html: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Bytes {
    var out = Bytes()
    var inTag = false
    var pendingSpace = false
    var i = from
    while i < to {
        let byte = html[i]
        if inTag {
            if byte == 62 { inTag = false }  // stripped without a space: `Élec<b>tions</b>`
            i += 1
            continue
        }
        switch byte {
        case 60:  // '<' opens an inner tag
            inTag = true
            i += 1
        case 32, 9, 10, 13:
            pendingSpace = !out.isEmpty
            i += 1
        default:
            if pendingSpace { out.append(byte: 32); pendingSpace = false }
            if byte == 38, let (scalar, length) = decodeEntity(html, at: i, end: to) {
                out.append(scalar: scalar)
                i += length
            } else {
                out.append(byte: byte)
                i += 1
            }
        }
    }
    return out
}

/// Decodes the HTML entity starting with `&` at `at`: the common named ones and numeric
/// `&#NN;` / `&#xHH;`. Returns the scalar and the entity's length, or nil to keep it literal.
func decodeEntity(_ html: UnsafeBufferPointer<UInt8>, at: Int, end: Int) -> (UInt32, Int)? {
    let named: [(StaticString, UInt32)] = [
        ("&amp;", 38), ("&lt;", 60), ("&gt;", 62), ("&quot;", 34), ("&apos;", 39),
        ("&nbsp;", 32), ("&rsquo;", 0x2019), ("&lsquo;", 0x2018), ("&laquo;", 0xAB),
        ("&raquo;", 0xBB), ("&hellip;", 0x2026), ("&ndash;", 0x2013), ("&mdash;", 0x2014),
    ]
    for (name, scalar) in named where at + name.utf8CodeUnitCount <= end && hasPrefix(html, at: at, name) {
        return (scalar, name.utf8CodeUnitCount)
    }
    guard at + 3 < end, html[at + 1] == 35 else { return nil }  // "&#"
    var i = at + 2
    let hex = lowercased(html[i]) == 120  // 'x'
    if hex { i += 1 }
    var value: UInt32 = 0
    var digits = 0
    while i < end, digits < 8 {
        let c = lowercased(html[i])
        var digit: UInt32
        if c >= 48 && c <= 57 { digit = UInt32(c - 48) }
        else if hex && c >= 97 && c <= 102 { digit = UInt32(c - 87) }
        else { break }
        value = value * (hex ? 16 : 10) + digit
        digits += 1
        i += 1
    }
    guard digits > 0, i < end, html[i] == 59,  // ';'
          value > 0, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else { return nil }
    return (value, i + 1 - at)
}
