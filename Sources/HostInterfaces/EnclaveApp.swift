@preconcurrency import Crypto

/// What the SDK knows of the app a session serves. Immutable and shared by all its calls.
public struct EnclaveApp: Sendable {
    /// The app's name.
    public let name: String
    /// The app's sealing key: HKDF-SHA256 of the server's sealing root and the app's code hash
    /// (`sealingKey(root:codeHash:)`). Never leaves the process.
    let sealingKey: SymmetricKey
    /// Where `set-attestation-extension` puts values; nil: the interface answers `err`.
    public let attestation: AttestationExtensions?

    /// The app `name` whose code hash is `codeHash` (32 raw bytes), under the server's
    /// `sealingRoot`.
    public init(name: String, codeHash: [UInt8], sealingRoot: SymmetricKey, attestation: AttestationExtensions? = nil) {
        self.name = name
        self.sealingKey = Self.sealingKey(root: sealingRoot, codeHash: codeHash)
        self.attestation = attestation
    }

    /// Domain-separation label of the derivation; changing it changes every app's key.
    static let sealingLabel = Array("EnclaveOS app sealing key v1".utf8)

    /// HKDF-SHA256(ikm: root, salt: label, info: code hash) → 32 bytes. Bound to the code, not
    /// the name: two apps with the same code hash share it (as SGX's MRENCLAVE sealing would).
    static func sealingKey(root: SymmetricKey, codeHash: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: root, salt: sealingLabel, info: codeHash, outputByteCount: 32)
    }
}
