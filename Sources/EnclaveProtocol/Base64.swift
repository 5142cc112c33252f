/// Standard base64 (RFC 4648 §4, with padding), used for byte payloads sent as strings:
/// ~1.33 bytes on the wire per byte instead of ~3.5 for integer arrays.
///
/// Both directions work on contiguous buffers in one pass (tens of MiB per upload chunk or call
/// result), writing into an output allocated once at its final size.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// The length of the padded encoding of `count` bytes.
    public static func encodedLength(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Encodes bytes as padded base64.
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: encodeToBytes(bytes), as: UTF8.self)
    }

    /// Encodes bytes as padded base64, as UTF-8 bytes.
    public static func encodeToBytes<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        if let out = bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0)) }) { return out }
        return Array(bytes).withUnsafeBytes { encode($0) }
    }

    /// Appends the padded base64 of `input` to `out`.
    public static func append(_ input: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let start = out.count
        let length = encodedLength(input.count)
        out.append(contentsOf: repeatElement(0, count: length))
        out.withUnsafeMutableBufferPointer { buffer in
            write(input, into: UnsafeMutableBufferPointer(rebasing: buffer[start..<(start + length)]))
        }
    }

    /// Writes the padded base64 of `input` at the start of `out` (which must have room for
    /// `encodedLength(input.count)` bytes) and returns that length.
    public static func write(_ input: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        let length = encodedLength(input.count)
        precondition(out.count >= length, "base64 output buffer too small")
        guard length > 0, let base = out.baseAddress else { return 0 }
        write(input, into: UnsafeMutableBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: length))
        return length
    }

    private static func encode(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        let length = encodedLength(input.count)
        return [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            write(input, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<length]))
            initialized = length
        }
    }

    private static func write(_ input: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<UInt8>) {
        alphabet.withUnsafeBufferPointer { table in
            var i = 0
            var o = 0
            let whole = input.count - input.count % 3
            while i < whole {
                let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                out[o] = table[Int(n >> 18 & 63)]
                out[o + 1] = table[Int(n >> 12 & 63)]
                out[o + 2] = table[Int(n >> 6 & 63)]
                out[o + 3] = table[Int(n & 63)]
                i += 3
                o += 4
            }
            let rest = input.count - whole
            if rest > 0 {
                let n = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                out[o] = table[Int(n >> 18 & 63)]
                out[o + 1] = table[Int(n >> 12 & 63)]
                out[o + 2] = rest == 2 ? table[Int(n >> 6 & 63)] : UInt8(ascii: "=")
                out[o + 3] = UInt8(ascii: "=")
            }
        }
    }

    /// Decodes padded or unpadded base64; nil on any character outside the alphabet or a
    /// length that cannot be base64.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Decodes base64 given as UTF-8 bytes; nil as for `decode(_:)`.
    public static func decode<C: Collection>(bytes: C) -> [UInt8]? where C.Element == UInt8 {
        if let out = bytes.withContiguousStorageIfAvailable({ decode(bytes: UnsafeRawBufferPointer($0)) }) { return out }
        return Array(bytes).withUnsafeBytes { decode(bytes: $0) }
    }

    /// Decodes base64 from a raw buffer; nil as for `decode(_:)`.
    public static func decode(bytes input: UnsafeRawBufferPointer) -> [UInt8]? {
        var count = input.count
        var padding = 0
        while count > 0, padding < 2, input[count - 1] == UInt8(ascii: "=") { count -= 1; padding += 1 }
        guard count % 4 != 1 else { return nil }
        let length = count / 4 * 3 + max(0, count % 4 - 1)
        var valid = true
        let out = [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            valid = reverse.withUnsafeBufferPointer { table in
                var i = 0
                var o = 0
                let whole = count - count % 4
                while i < whole {
                    let a = table[Int(input[i])], b = table[Int(input[i + 1])]
                    let c = table[Int(input[i + 2])], d = table[Int(input[i + 3])]
                    guard (a | b | c | d) & 0xC0 == 0 else { return false }
                    let n = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    buffer[o] = UInt8(truncatingIfNeeded: n >> 16)
                    buffer[o + 1] = UInt8(truncatingIfNeeded: n >> 8)
                    buffer[o + 2] = UInt8(truncatingIfNeeded: n)
                    i += 4
                    o += 3
                }
                let rest = count - whole
                if rest >= 2 {
                    let a = table[Int(input[i])], b = table[Int(input[i + 1])]
                    let c = rest == 3 ? table[Int(input[i + 2])] : 0
                    guard (a | b | c) & 0xC0 == 0 else { return false }
                    let n = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
                    buffer[o] = UInt8(truncatingIfNeeded: n >> 16)
                    if rest == 3 { buffer[o + 1] = UInt8(truncatingIfNeeded: n >> 8) }
                }
                return true
            }
            initialized = valid ? length : 0
        }
        return valid ? out : nil
    }
}
