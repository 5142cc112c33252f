/// The fast path for the commonest frame: `{"Data":[n,n,…]}`.
///
/// Uploads arrive as integer arrays inside integer arrays (about 3.5 bytes of JSON per byte),
/// so building a JSON tree per element would dominate load time. This scanner reads the
/// integers straight into bytes and gives up (nil) on anything unusual, leaving the general
/// parser to produce the exact answer.
enum DataArrayScanner {
    static func scan(_ payload: [UInt8]) -> [UInt8]? {
        payload.withUnsafeBufferPointer { p -> [UInt8]? in
            var i = 0
            func skipWhitespace() {
                while i < p.count, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
            }
            func consume(_ literal: StaticString) -> Bool {
                let n = literal.utf8CodeUnitCount
                guard i + n <= p.count else { return false }
                for k in 0..<n where p[i + k] != literal.utf8Start[k] { return false }
                i += n
                return true
            }
            skipWhitespace()
            guard consume("{") else { return nil }
            skipWhitespace()
            guard consume("\"Data\"") else { return nil }
            skipWhitespace()
            guard consume(":") else { return nil }
            skipWhitespace()
            guard consume("[") else { return nil }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(p.count / 3)
            skipWhitespace()
            if consume("]") {
                skipWhitespace()
                guard consume("}") else { return nil }
                skipWhitespace()
                return i == p.count ? bytes : nil
            }
            while true {
                skipWhitespace()
                var value = 0
                let start = i
                while i < p.count, p[i] >= 0x30, p[i] <= 0x39, i - start < 3 {
                    value = value * 10 + Int(p[i] - 0x30)
                    i += 1
                }
                let digits = i - start
                // A leading zero (other than "0" itself) or a 4th digit is not ours to judge.
                guard digits > 0, value <= 255, !(digits > 1 && p[start] == 0x30) else { return nil }
                if i < p.count, p[i] >= 0x30, p[i] <= 0x39 { return nil }
                bytes.append(UInt8(value))
                skipWhitespace()
                guard i < p.count else { return nil }
                if p[i] == UInt8(ascii: ",") { i += 1; continue }
                if p[i] == UInt8(ascii: "]") { i += 1; break }
                return nil
            }
            skipWhitespace()
            guard consume("}") else { return nil }
            skipWhitespace()
            return i == p.count ? bytes : nil
        }
    }

    /// The same fast path for `{"Data":"<base64>"}`: the base64 is decoded straight from the
    /// payload, without a String in between. Escapes (`\/`) or anything else unusual: nil.
    static func scanBase64(_ payload: [UInt8]) -> [UInt8]? {
        payload.withUnsafeBytes { p -> [UInt8]? in
            var i = 0
            func skipWhitespace() {
                while i < p.count, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
            }
            func consume(_ byte: UInt8) -> Bool {
                skipWhitespace()
                guard i < p.count, p[i] == byte else { return false }
                i += 1
                return true
            }
            let key = Array(#""Data""#.utf8)
            guard consume(UInt8(ascii: "{")) else { return nil }
            skipWhitespace()
            guard p.count - i >= key.count, key.indices.allSatisfy({ p[i + $0] == key[$0] }) else { return nil }
            i += key.count
            guard consume(UInt8(ascii: ":")), consume(UInt8(ascii: "\"")) else { return nil }
            let start = i
            while i < p.count, p[i] != UInt8(ascii: "\""), p[i] != UInt8(ascii: "\\") { i += 1 }
            guard i < p.count, p[i] == UInt8(ascii: "\"") else { return nil }
            let end = i
            i += 1
            guard consume(UInt8(ascii: "}")) else { return nil }
            skipWhitespace()
            guard i == p.count else { return nil }
            return Base64.decode(bytes: UnsafeRawBufferPointer(rebasing: p[start..<end]))
        }
    }
}
