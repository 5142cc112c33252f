import Crypto

/// The per-app config root as the original computes it (extension `1.3.6.1.4.1.65230.3.1`):
/// `SHA-256(SHA-256(code hash) ‖ SHA-256(key source))`, the code hash as its 32 raw bytes (the
/// value of `65230.3.2`) and the key source as UTF-8 (the value of `65230.3.4`), in that order:
/// the original's Merkle root over the app's config entries. EnclaveOS's richer labelled root,
/// which also commits to the hostname and the egress trust, is ``ConfigRoot/app(hostname:codeHash:keySource:egressCABundleHash:)``
/// under ``AttestationOID/appLabelledConfigRoot``.
public enum AppIdentityRoot {
    public static func digest(codeHash: [UInt8], keySource: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array(SHA256.hash(data: codeHash)))
        hasher.update(data: Array(SHA256.hash(data: Array(keySource.utf8))))
        return Array(hasher.finalize())
    }
}
