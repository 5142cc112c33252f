import Synchronization

/// Remembers, per logical key, the row name (an HMAC) and the sealed logical name (an AES-GCM
/// seal with a fresh nonce) of one `SealedKV`: a file rewritten again and again (what a
/// key-value app does) would otherwise pay both on every write and the HMAC on every read.
///
/// Why reusing them is safe: the row name is a deterministic function of the key; the sealed
/// name is a valid sealing of the same plaintext under the same AAD, and the host already sees
/// that the rewritten row is the same row, so storing the same ciphertext again tells it nothing
/// new. The cache lives inside one handle, whose keys never change (a handle under another key
/// is a new handle), and it is dropped with the handle.
///
/// Bounded (`maxEntries`, `maxKeyBytes`): when full it is emptied, since keys are guest input.
final class RowNameCache: Sendable {
    /// A row's stored name and sealed logical name.
    struct Row: Sendable {
        var name: [UInt8]
        var sealedName: [UInt8]?
    }

    private struct State {
        var rows: [HashedBytes: Row] = [:]
        var keyBytes = 0
    }

    /// Most keys remembered at once.
    static let maxEntries = 1024
    /// Most key bytes remembered at once (keys may be up to `SealedKVLimits.maxKeyBytes` each).
    static let maxKeyBytes = 256 << 10

    private let state = Mutex(State())

    /// The row name of `key` under `keys`.
    func rowName(for key: [UInt8], _ keys: DerivedAppKeys) -> [UInt8] {
        if let row = state.withLock({ $0.rows[HashedBytes(key)] }) { return row.name }
        let name = keys.rowName(for: key)
        remember(key, Row(name: name, sealedName: nil))
        return name
    }

    /// The row name and sealed logical name of `key` under `keys`, for a write.
    func sealedRow(for key: [UInt8], _ keys: DerivedAppKeys) throws -> (name: [UInt8], sealedName: [UInt8]) {
        let cached = state.withLock { $0.rows[HashedBytes(key)] }
        if let cached, let sealedName = cached.sealedName { return (cached.name, sealedName) }
        let name = cached?.name ?? keys.rowName(for: key)
        let sealedName = try keys.sealName(key, rowName: name)
        remember(key, Row(name: name, sealedName: sealedName))
        return (name, sealedName)
    }

    private func remember(_ key: [UInt8], _ row: Row) {
        let key = HashedBytes(key)
        state.withLock { state in
            if state.rows[key] == nil {
                if state.rows.count >= Self.maxEntries || state.keyBytes + key.bytes.count > Self.maxKeyBytes {
                    state.rows.removeAll(keepingCapacity: true)
                    state.keyBytes = 0
                }
                state.keyBytes += key.bytes.count
            }
            state.rows[key] = row
        }
    }
}
