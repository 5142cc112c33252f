/// A JSON number, kept exactly as an integer when it was written as one so that 64-bit
/// values survive (a Double would silently round `u64` values above 2^53).
public struct JSONNumber: Hashable, Sendable {
    enum Storage: Hashable, Sendable {
        case unsigned(UInt64)
        /// A negative integer, stored as its value (always < 0).
        case negative(Int64)
        case float(Double)
    }

    let storage: Storage

    /// An integer number.
    public init(_ value: Int64) {
        storage = value < 0 ? .negative(value) : .unsigned(UInt64(value))
    }

    /// An unsigned integer number.
    public init(_ value: UInt64) {
        storage = .unsigned(value)
    }

    /// A floating-point number; integral values are still written with a fraction (`1.0`).
    public init(_ value: Double) {
        storage = .float(value)
    }

    /// The value as Int64, if it is an integer in range (or an integral float in range).
    public var int64: Int64? {
        switch storage {
        case .unsigned(let u): return u <= UInt64(Int64.max) ? Int64(u) : nil
        case .negative(let i): return i
        case .float(let d): return d.rounded() == d ? Int64(exactly: d) : nil
        }
    }

    /// The value as UInt64, if it is a non-negative integer in range.
    public var uint64: UInt64? {
        switch storage {
        case .unsigned(let u): return u
        case .negative: return nil
        case .float(let d): return d.rounded() == d ? UInt64(exactly: d) : nil
        }
    }

    /// The value as a Double (may round large integers).
    public var double: Double {
        switch storage {
        case .unsigned(let u): return Double(u)
        case .negative(let i): return Double(i)
        case .float(let d): return d
        }
    }

    /// True when the number was written as an integer.
    public var isInteger: Bool {
        if case .float = storage { return false }
        return true
    }

    /// The number as it is written on the wire: integers in decimal; floats in the shortest
    /// form that reads back exactly, spelled as serde_json spells them (`1.0`, `1e20`, `1e-7`).
    public var text: String {
        switch storage {
        case .unsigned(let u): return String(u)
        case .negative(let i): return String(i)
        case .float(let d): return Self.format(d.description)
        }
    }

    /// An f32 value, spelled with the shortest digits that read back as the same Float, so
    /// `0.1` stays `0.1` rather than becoming `0.10000000149011612`.
    init(float32 value: Float) {
        storage = .float(Double(value))
        literal = Self.format(value.description)
    }

    /// A fixed spelling for floats that must not be reformatted (f32 values).
    private var literal: String? = nil

    /// Swift prints `1e+20` and `1e-07`; serde_json (ryu) prints `1e20` and `1e-7`.
    static func format(_ swift: String) -> String {
        guard let e = swift.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return swift }
        let mantissa = swift[..<e]
        var exponent = swift[swift.index(after: e)...]
        var sign = ""
        if exponent.first == "+" { exponent = exponent.dropFirst() }
        else if exponent.first == "-" { sign = "-"; exponent = exponent.dropFirst() }
        while exponent.count > 1, exponent.first == "0" { exponent = exponent.dropFirst() }
        return "\(mantissa)e\(sign)\(exponent)"
    }
}

extension JSONNumber {
    /// The wire text, honouring a fixed f32 spelling.
    var wireText: String { literal ?? text }

    /// Appends the wire text; unsigned integers (byte arrays, sizes) without a String per number.
    func write(to out: inout [UInt8]) {
        guard case .unsigned(var value) = storage else {
            out.append(contentsOf: wireText.utf8)
            return
        }
        if value < 10 {
            out.append(0x30 + UInt8(value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            while value > 0 {
                index -= 1
                buffer[index] = 0x30 + UInt8(value % 10)
                value /= 10
            }
            out.append(contentsOf: buffer[index...])
        }
    }
}
