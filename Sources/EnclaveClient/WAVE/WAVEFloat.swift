import EnclaveProtocol

/// Floats as WAVE writes them: `nan`, `inf`, `-inf`, and finite values as Rust's `Display`
/// does (what `wasmtime run --invoke` prints): the shortest digits that read back as the same
/// value, positional, without an exponent and without a trailing `.0` (`1`, `0.1`, `-0`,
/// `0.0000001`, `10000000000000000`).
enum WAVEFloat {
    static func json(f32 value: Float) -> JSON { TypedFloat.json(value) }
    static func json(f64 value: Double) -> JSON { TypedFloat.json(value) }

    static func text(f64 value: Double) -> String {
        nonFinite(value) ?? positional(value.description)
    }

    static func text(f32 value: Float) -> String {
        nonFinite(Double(value)) ?? positional(value.description)
    }

    private static func nonFinite(_ value: Double) -> String? {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return nil
    }

    /// Swift's shortest description (`1e-07`, `1.5`, `1.2345e+20`) rewritten positionally.
    static func positional(_ description: String) -> String {
        var text = Substring(description)
        let negative = text.hasPrefix("-")
        if negative { text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        let point = text.firstIndex(of: ".").map { text.distance(from: text.startIndex, to: $0) } ?? text.count
        let digits = Array(text.filter { $0 != "." })
        let position = point + exponent  // digits before the decimal point
        var integer: [Character], fraction: [Character]
        if position <= 0 {
            integer = ["0"]
            fraction = Array(repeating: "0", count: -position) + digits
        } else if position >= digits.count {
            integer = digits + Array(repeating: "0", count: position - digits.count)
            fraction = []
        } else {
            integer = Array(digits[..<position])
            fraction = Array(digits[position...])
        }
        while integer.count > 1, integer.first == "0" { integer.removeFirst() }
        while fraction.last == "0" { fraction.removeLast() }
        return (negative ? "-" : "") + String(integer) + (fraction.isEmpty ? "" : "." + String(fraction))
    }
}
