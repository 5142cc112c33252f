/// Floats in typed values (docs/protocol.md §3, typed values): JSON numbers cannot carry NaN or the infinities, so
/// typed `f32`/`f64` values spell them as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`
/// (what JavaScript's and Python's JSON modules write). Decoders also accept WAVE's `nan`,
/// `inf` and `-inf`.
public enum TypedFloat {
    public static let nan = "NaN"
    public static let infinity = "Infinity"
    public static let negativeInfinity = "-Infinity"

    /// A typed value's JSON for `value`: a number when finite, else its string spelling.
    public static func json(_ value: Double) -> JSON {
        value.isFinite ? .double(value) : .string(spelling(value))
    }

    /// As ``json(_:)-(Double)``, with an f32's shortest digits.
    public static func json(_ value: Float) -> JSON {
        value.isFinite ? .float(value) : .string(spelling(Double(value)))
    }

    /// The value of a JSON number or of one of the accepted spellings, else nil.
    public static func value(_ json: JSON) -> Double? {
        switch json {
        case .number(let number): return number.double
        case .string(nan), .string("nan"): return .nan
        case .string(infinity), .string("inf"): return .infinity
        case .string(negativeInfinity), .string("-inf"): return -.infinity
        default: return nil
        }
    }

    private static func spelling(_ value: Double) -> String {
        value.isNaN ? nan : value > 0 ? infinity : negativeInfinity
    }
}
