/// A byte string as a dictionary key, hashed in one call rather than one `combine` per byte (the
/// default for arrays, which showed in profiles of `kv-read`); equality still compares every byte.
struct HashedBytes: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
