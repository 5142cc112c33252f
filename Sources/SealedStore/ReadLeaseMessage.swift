/// A notification on the read leases' channel (`PostgresReadLeases.channel`). The database is
/// the host's, so a payload is hostile: it is parsed with bounds and anything else is ignored.
///
/// Text form: `i<node hex>:<namespace hex>:<lease id>` asks the holder `node` to drop its lease
/// `lease id` on `namespace` (a writer committed to it); `r<…>` with the same fields says the
/// holder has dropped it. The writer's statement builds the `i` form in SQL, so both sides must
/// agree on this layout (`PostgresReadLeases.revokeSQL`).
struct ReadLeaseMessage: Hashable, Sendable {
    enum Kind: Hashable, Sendable {
        case invalidate
        case released
    }

    /// One lease: whose, on what, and which grant of it.
    struct Lease: Hashable, Sendable {
        var node: [UInt8]
        var namespace: [UInt8]
        var id: Int64
    }

    var kind: Kind
    var lease: Lease

    /// Longest payload parsed (PostgreSQL caps a payload at 8000 bytes; ours are ~110).
    static let maxPayloadBytes = 1024

    init(kind: Kind, lease: Lease) {
        self.kind = kind
        self.lease = lease
    }

    /// The message in `payload`, or nil for anything malformed.
    init?(payload: String) {
        guard payload.utf8.count <= Self.maxPayloadBytes, let first = payload.first else { return nil }
        switch first {
        case "i": kind = .invalidate
        case "r": kind = .released
        default: return nil
        }
        let fields = payload.dropFirst().split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 3, let node = Self.bytes(hex: fields[0]), let namespace = Self.bytes(hex: fields[1]),
              let id = Int64(fields[2]) else { return nil }
        lease = Lease(node: node, namespace: namespace, id: id)
    }

    /// The payload text.
    var payload: String {
        (kind == .invalidate ? "i" : "r") + Self.hex(lease.node) + ":" + Self.hex(lease.namespace) + ":" + String(lease.id)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func bytes(hex: Substring) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
