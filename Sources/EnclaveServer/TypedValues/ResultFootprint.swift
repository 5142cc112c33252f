import Components

/// An estimate of the host memory the typed-JSON form of a call's results takes, computed
/// before that form is built, so that a result which would need gigabytes of JSON nodes (a
/// `list<u32>` of millions of elements) is refused instead of exhausting the server.
enum ResultFootprint {
    /// One typed value `{"type":T,"value":V}`: an object, its two members, the type name.
    static let perValue = 160
    /// One element of a `bytes` integer array: a JSON number node.
    static let perByte = 32

    /// The estimated bytes of the JSON tree for `values`.
    static func estimate(_ values: [ComponentValue]) -> Int {
        values.reduce(0) { $0 + estimate($1) }
    }

    static func estimate(_ value: ComponentValue) -> Int {
        switch value {
        case .string(let text):
            return perValue + text.utf8.count
        case .bytes(let bytes):
            return perValue + bytes.count * perByte
        case .list(let items):
            if let first = items.first, case .u8 = first { return perValue + items.count * perByte }
            return perValue + estimate(items)
        case .record(let items), .tuple(let items):
            return perValue + estimate(items)
        case .variant(_, let payload?), .option(let payload?), .result(_, let payload?):
            return perValue + estimate(payload)
        case .flags(let bits):
            return perValue + bits.count * 24
        default:
            return perValue
        }
    }

    /// The `call failed:` refusal when `values` would take more than `limit` bytes, else nil.
    static func refusal(_ values: [ComponentValue], limit: Int) -> String? {
        let estimate = estimate(values)
        guard estimate > limit else { return nil }
        return "call failed: the result would take about \(estimate) bytes of server memory as typed JSON, "
            + "over the \(limit)-byte limit per call result"
    }
}
