/// What a host call costs in fuel: the one place that prices host work.
///
/// Guest code pays one unit per operator, but a host function can do far more work than its
/// single `call` operator: 64 KiB of `get-random-bytes`, a file read, an HTTPS body, a hash. Left
/// free, a loop of such calls ran for minutes on the default budget. So every host call is charged
/// a fixed `perCall` and one unit per byte it moves across the boundary, arguments and results
/// alike (`bytes(of:)`), at the moment the values cross (`ComponentInstance.callHost`). Host
/// functions whose work is not visible in their values (a `splice` between two host streams,
/// `write-zeroes`) charge it themselves through `HostCallContext.chargeHostWork(bytes:)`.
///
/// Why these rates: one unit is about 3 ns of interpreted guest code (10 M units of a tight loop
/// take 20–36 ms in a release build), and a host call moves or produces bytes at roughly 1–3 ns
/// each once lifting, lowering and the work itself (CSPRNG, AES-GCM, SHA-256, SQLite) are counted,
/// so a byte for a unit keeps fuel roughly proportional to time. A call with the default 10 M
/// units can then move about 10 MB through host calls.
public enum HostWorkFuel {
    /// Charged for every host call: lifting, dispatch and lowering of an empty call take about
    /// as long as this many guest operators.
    public static let perCall: UInt64 = 25

    /// Units charged for `byteCount` bytes of host work.
    public static func units(forBytes byteCount: Int) -> UInt64 {
        UInt64(max(0, byteCount))
    }

    /// The bytes `values` move across the host boundary: string and byte-list contents, and the
    /// natural size of every scalar (a `list<u32>` of n elements is 4n bytes).
    public static func bytes(of values: [ComponentValue]) -> Int {
        values.reduce(0) { $0 &+ bytes(of: $1) }
    }

    /// The bytes one value moves (see `bytes(of:)` for a list of values).
    public static func bytes(of value: ComponentValue) -> Int {
        switch value {
        case .bool, .s8, .u8: return 1
        case .s16, .u16: return 2
        case .s32, .u32, .f32, .char, .enum, .handle: return 4
        case .s64, .u64, .f64: return 8
        case .string(let text): return text.utf8.count
        case .bytes(let bytes): return bytes.count
        case .list(let items), .record(let items), .tuple(let items): return bytes(of: items)
        case .variant(_, let payload), .option(let payload), .result(_, let payload):
            return 4 &+ (payload.map { bytes(of: $0) } ?? 0)
        case .flags(let bits): return (bits.count + 7) / 8
        }
    }
}
