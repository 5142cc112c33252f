// SymmetricKey is an immutable value (copy-on-write storage never mutated after init) but is not
// marked Sendable in swift-crypto 3.12; sharing it across threads is safe.
@preconcurrency import Crypto

/// The sub-keys of one app and the sealing layout of its entries (docs/sdk.md, sealed store).
///
/// Derivation: HKDF-SHA256(ikm = app key, salt = `salt`, info = label), 32 bytes each:
/// - `"enclaveos/sealed-kv/v1/name-key"`  → HMAC-SHA256 key for the namespace id and row names;
/// - `"enclaveos/sealed-kv/v1/value-key"` → AES-256-GCM key for values;
/// - `"enclaveos/sealed-kv/v1/index-key"` → AES-256-GCM key for the sealed logical names kept
///   beside each row for listing (a separate key so a name ciphertext can never open as a value,
///   on top of the distinct AAD labels).
/// These labels are part of the on-disk format: changing one makes every stored entry unreadable.
///
/// Row layout for logical key `k` of app `a` (`lp(x)` = 4-byte big-endian length ‖ x, so no two
/// different (app, key) pairs encode the same bytes):
/// - namespace = HMAC(name-key, "ns" ‖ lp(a))
/// - name      = HMAC(name-key, "row" ‖ lp(a) ‖ lp(k))
/// - value     = nonce(12) ‖ AES-256-GCM(value-key, v, AAD = "enclaveos.kv.value.v1" ‖ lp(a) ‖ lp(k)) ‖ tag(16)
/// - sealedName = nonce ‖ AES-256-GCM(index-key, pad32(lp(k)), AAD = "enclaveos.kv.name.v1" ‖ lp(a) ‖ name) ‖ tag
///
/// The app name is inside every HMAC and AAD, so two apps that share a BYOK key still see
/// disjoint rows, and a value moved between keys or apps fails authentication. Nonces are random
/// (96 bits): safe for well over 2^32 seals per key, far beyond one app's write volume.
struct DerivedAppKeys: Sendable {
    static let salt: [UInt8] = Array("enclaveos.sealed-store.v1".utf8)
    static let nameKeyInfo: [UInt8] = Array("enclaveos/sealed-kv/v1/name-key".utf8)
    static let valueKeyInfo: [UInt8] = Array("enclaveos/sealed-kv/v1/value-key".utf8)
    static let indexKeyInfo: [UInt8] = Array("enclaveos/sealed-kv/v1/index-key".utf8)
    static let valueAADLabel: [UInt8] = Array("enclaveos.kv.value.v1".utf8)
    static let nameAADLabel: [UInt8] = Array("enclaveos.kv.name.v1".utf8)
    /// Sealed names are padded to this granularity so the host learns only a length bucket.
    static let namePadding = 32

    let appName: String
    private let appNameLP: [UInt8]
    private let nameKey: SymmetricKey
    private let valueKey: AESGCMKey
    private let indexKey: AESGCMKey
    /// HMAC(name-key, "ns" ‖ lp(app)): the row prefix of this (app, key) pair.
    let namespace: [UInt8]

    init(appKey: AppKey, appName: String) {
        self.appName = appName
        self.appNameLP = Bytes.lengthPrefixed(Array(appName.utf8))
        self.nameKey = Self.derive(appKey.key, info: Self.nameKeyInfo)
        self.valueKey = AESGCMKey(Self.derive(appKey.key, info: Self.valueKeyInfo))
        self.indexKey = AESGCMKey(Self.derive(appKey.key, info: Self.indexKeyInfo))
        self.namespace = Self.namespace(nameKey: nameKey, appNameLP: appNameLP)
    }

    /// The namespace of app `appName` under `appKey` alone (no cipher contexts set up).
    static func namespace(appKey: AppKey, appName: String) -> [UInt8] {
        namespace(nameKey: derive(appKey.key, info: nameKeyInfo), appNameLP: Bytes.lengthPrefixed(Array(appName.utf8)))
    }

    private static func namespace(nameKey: SymmetricKey, appNameLP: [UInt8]) -> [UInt8] {
        mac(nameKey, Array("ns".utf8) + appNameLP)
    }

    static func derive(_ key: SymmetricKey, info: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, salt: salt, info: info, outputByteCount: 32)
    }

    static func mac(_ key: SymmetricKey, _ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }

    /// The stored row name of logical key `key`.
    func rowName(for key: [UInt8]) -> [UInt8] {
        Self.mac(nameKey, Array("row".utf8) + appNameLP + Bytes.lengthPrefixed(key))
    }

    private func valueAAD(for key: [UInt8]) -> [UInt8] {
        Self.valueAADLabel + appNameLP + Bytes.lengthPrefixed(key)
    }

    /// nonce ‖ ciphertext ‖ tag of `value`, bound to this app and `key`.
    func sealValue(_ value: [UInt8], key: [UInt8]) throws -> [UInt8] {
        try Self.seal(value, using: valueKey, aad: valueAAD(for: key))
    }

    /// The plaintext of a stored value, or `integrity` if it is not exactly what `sealValue`
    /// produced for this app and `key`.
    func openValue(_ sealed: [UInt8], key: [UInt8]) throws -> [UInt8] {
        try Self.open(sealed, using: valueKey, aad: valueAAD(for: key), what: "value")
    }

    /// The bytes a row of a `keyCount`-byte key and a `valueCount`-byte value holds as stored
    /// (sealed value and sealed name; what the quota counts).
    static func sealedSize(keyCount: Int, valueCount: Int) -> Int {
        let sealOverhead = 12 + 16
        let name = 4 + keyCount
        let paddedName = (name + namePadding - 1) / namePadding * namePadding
        return sealOverhead + valueCount + sealOverhead + paddedName
    }

    /// The sealed logical name stored beside row `rowName` (padded to `namePadding`).
    func sealName(_ key: [UInt8], rowName: [UInt8]) throws -> [UInt8] {
        var padded = Bytes.lengthPrefixed(key)
        let remainder = padded.count % Self.namePadding
        if remainder != 0 { padded += [UInt8](repeating: 0, count: Self.namePadding - remainder) }
        return try Self.seal(padded, using: indexKey, aad: Self.nameAADLabel + appNameLP + rowName)
    }

    /// The logical name sealed by `sealName` for `rowName`; also checks that it hashes back to
    /// `rowName`, so a host cannot pair a name with a different row.
    func openName(_ sealed: [UInt8], rowName: [UInt8]) throws -> [UInt8] {
        let padded = try Self.open(sealed, using: indexKey, aad: Self.nameAADLabel + appNameLP + rowName,
                                   what: "entry name")
        guard let key = Bytes.readLengthPrefixed(padded, at: 0)?.value,
              self.rowName(for: key) == rowName else {
            throw SealedStoreError.integrity("entry name")
        }
        return key
    }

    static func seal(_ plaintext: [UInt8], using key: AESGCMKey, aad: [UInt8]) throws -> [UInt8] {
        try key.seal(plaintext, aad: aad)
    }

    /// Opens nonce ‖ ciphertext ‖ tag. Every failure (too short, bad tag, wrong AAD) is
    /// `integrity(what)`: callers must never see partial plaintext.
    static func open(_ sealed: [UInt8], using key: AESGCMKey, aad: [UInt8], what: String) throws -> [UInt8] {
        guard let opened = key.open(sealed, aad: aad) else { throw SealedStoreError.integrity(what) }
        return opened
    }
}

/// Unambiguous byte framing used for AADs, HMAC inputs and record encodings.
enum Bytes {
    /// 4-byte big-endian length ‖ bytes.
    static func lengthPrefixed(_ bytes: [UInt8]) -> [UInt8] {
        var out = uint32BE(UInt32(truncatingIfNeeded: bytes.count))
        out.append(contentsOf: bytes)
        return out
    }

    static func uint32BE(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    static func readUInt32BE(_ bytes: [UInt8], at offset: Int) -> UInt32? {
        guard offset >= 0, offset <= bytes.count - 4 else { return nil }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    /// Reads lp(x) at `offset`; nil when the length runs past the end.
    static func readLengthPrefixed(_ bytes: [UInt8], at offset: Int) -> (value: [UInt8], next: Int)? {
        guard let length = readUInt32BE(bytes, at: offset) else { return nil }
        let start = offset + 4
        guard Int(length) <= bytes.count - start else { return nil }
        let end = start + Int(length)
        return (Array(bytes[start..<end]), end)
    }
}
