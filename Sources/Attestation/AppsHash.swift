import Crypto

/// One loaded app as the attestation sees it: its name and code hash.
public struct AttestedApp: Sendable, Equatable {
    /// The app's registry name (UTF-8).
    public var name: String
    /// SHA-256 of the component bytes as uploaded (32 raw bytes).
    public var codeHash: [UInt8]

    /// Creates an app entry.
    public init(name: String, codeHash: [UInt8]) {
        self.name = name
        self.codeHash = codeHash
    }
}

/// The combined apps hash (extension `1.3.6.1.4.1.65230.2.3`):
/// `SHA-256(name₁ ‖ hash₁ ‖ name₂ ‖ hash₂ ‖ …)` with apps sorted by the bytes of
/// their UTF-8 names, names as UTF-8 without terminator, hashes as 32 raw bytes.
/// No apps gives SHA-256 of the empty string.
///
/// Sorting is byte-wise (not locale or Unicode collation) so every language
/// computes the same order. The concatenation has no length prefixes (docs/attestation.md);
/// it stays unambiguous in practice because each hash is a fixed 32 bytes and a
/// different split would need an app hash that is itself valid name text.
public enum AppsHash {
    /// Computes the combined hash.
    /// - Throws: ``AttestationError`` for a hash that is not 32 bytes or a repeated name.
    public static func compute(_ apps: [AttestedApp]) throws -> [UInt8] {
        let sorted = apps.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        var hasher = SHA256()
        var previous: String?
        for app in sorted {
            guard app.codeHash.count == 32 else {
                throw AttestationError.invalidHashLength(field: "code hash of '\(app.name)'", length: app.codeHash.count)
            }
            if previous == app.name { throw AttestationError.duplicateAppName(app.name) }
            previous = app.name
            hasher.update(data: Array(app.name.utf8))
            hasher.update(data: app.codeHash)
        }
        return Array(hasher.finalize())
    }
}
