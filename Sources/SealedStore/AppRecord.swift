// SymmetricKey is an immutable value (copy-on-write storage never mutated after init) but is not
// marked Sendable in swift-crypto 3.12; sharing it across threads is safe.
@preconcurrency import Crypto
import Foundation

/// Per-app execution limits chosen at load. Optional fields mean "server default"; unknown
/// fields in a stored record are ignored, so newer servers can add limits.
public struct AppLimits: Codable, Sendable, Equatable {
    /// Fuel per call.
    public var maxFuel: UInt64?
    /// Linear memory cap per instance, in bytes.
    public var maxMemoryBytes: UInt64?
    /// Wall-clock limit per call, in milliseconds.
    public var maxCallMillis: UInt64?
    /// True: every call instantiates the app afresh (no reset snapshot); nil: server default.
    public var freshInstances: Bool?

    /// All limits at server defaults unless given.
    public init(maxFuel: UInt64? = nil, maxMemoryBytes: UInt64? = nil, maxCallMillis: UInt64? = nil,
                freshInstances: Bool? = nil) {
        self.freshInstances = freshInstances
        self.maxFuel = maxFuel
        self.maxMemoryBytes = maxMemoryBytes
        self.maxCallMillis = maxCallMillis
    }
}

/// Why a stored app is not served until an operator reloads or unloads it, and since when.
public struct AppQuarantine: Codable, Sendable, Equatable {
    /// What happened, for `wasm_list` and the log.
    public var reason: String
    /// When the quarantine began (seconds since 1970).
    public var since: Int64

    public init(reason: String, since: Int64 = Int64(Date().timeIntervalSince1970)) {
        self.reason = reason
        self.since = since
    }
}

/// A loaded app as persisted in the registry, so loads survive a restart (docs/sdk.md, sealed store).
public struct AppRecord: Sendable {
    /// The app name (unique per server).
    public let name: String
    /// The TLS hostname (SNI) of the app; defaults to `name`.
    public let hostname: String
    /// The component binary exactly as uploaded.
    public let code: [UInt8]
    /// Lowercase hex SHA-256 of `code`.
    public let codeHash: String
    /// The app's master key (with its key source).
    public let key: AppKey
    /// Per-app limits.
    public let limits: AppLimits
    /// When the app was first loaded (seconds since 1970), for listing order and operators.
    public let loadedAt: Int64
    /// Set when the server stopped abnormally while this app ran: the app is kept (with its key
    /// and data) but not served after a restart until an operator acts.
    public var quarantine: AppQuarantine?
    /// Lowercase hex SHA-256 of the token callers must present (`app_auth`); nil: anyone may
    /// call the app. The token itself is not stored.
    public var appAuthDigest: String?

    /// `"generated"` or `"byok:<sha256 hex>"`.
    public var keySource: String { key.keySource }

    /// The code hash of an upload: lowercase hex SHA-256 of its bytes exactly as received.
    public static func codeHash(of code: [UInt8]) -> String {
        Hex.encode(SHA256.hash(data: code))
    }

    /// A new record; `codeHash` is computed from `code`.
    public init(name: String, hostname: String? = nil, code: [UInt8], key: AppKey,
                limits: AppLimits = AppLimits(), loadedAt: Int64 = Int64(Date().timeIntervalSince1970),
                quarantine: AppQuarantine? = nil, appAuthDigest: String? = nil) {
        self.appAuthDigest = appAuthDigest
        self.name = name
        self.hostname = hostname ?? name
        self.code = code
        self.codeHash = Self.codeHash(of: code)
        self.key = key
        self.limits = limits
        self.loadedAt = loadedAt
        self.quarantine = quarantine
    }
}

/// The sealed binary form of an `AppRecord`:
/// `"EOSAPP1\0"` ‖ key(32) ‖ lp(metadata JSON) ‖ code (rest of the plaintext).
/// Code is raw bytes rather than JSON (a JSON integer array costs ~255 ms per MiB to decode), and
/// the key is raw so that it never passes through a `String` we cannot wipe.
enum AppRecordCodec {
    static let magic: [UInt8] = Array("EOSAPP1\0".utf8)

    struct Metadata: Codable {
        var name: String
        var hostname: String
        var codeHash: String
        var keySource: String
        var limits: AppLimits
        var loadedAt: Int64
        /// Absent in records written before quarantines existed, and whenever none applies.
        var quarantine: AppQuarantine?
        /// Absent in records written before `app_auth` existed, and for open apps.
        var appAuthDigest: String?
    }

    static func encode(_ record: AppRecord) throws -> [UInt8] {
        let metadata = Metadata(name: record.name, hostname: record.hostname, codeHash: record.codeHash,
                                keySource: record.keySource, limits: record.limits, loadedAt: record.loadedAt,
                                quarantine: record.quarantine, appAuthDigest: record.appAuthDigest)
        let json: [UInt8]
        do {
            json = Array(try JSONEncoder().encode(metadata))
        } catch {
            throw SealedStoreError.invalidInput("cannot encode app record '\(record.name)': \(error)")
        }
        var out = magic
        out.reserveCapacity(magic.count + 32 + 4 + json.count + record.code.count)
        record.key.key.withUnsafeBytes { out.append(contentsOf: $0) }
        out += Bytes.lengthPrefixed(json)
        out += record.code
        return out
    }

    /// Parses and cross-checks a decrypted record; any inconsistency is `integrity`, because a
    /// record that authenticated but does not parse means a bug or a key reuse, never user input.
    static func decode(_ plaintext: [UInt8]) throws -> AppRecord {
        let keyStart = magic.count
        let jsonStart = keyStart + AppKey.byteCount
        guard plaintext.count >= jsonStart + 4, Array(plaintext[0..<keyStart]) == magic,
              let (json, codeStart) = Bytes.readLengthPrefixed(plaintext, at: jsonStart),
              let metadata = try? JSONDecoder().decode(Metadata.self, from: Data(json)) else {
            throw SealedStoreError.integrity("app record (malformed)")
        }
        var keyBytes = Array(plaintext[keyStart..<jsonStart])
        defer { Wipe.bytes(&keyBytes) }
        let key: AppKey
        if metadata.keySource == "generated" {
            key = AppKey(key: SymmetricKey(data: keyBytes), keySource: "generated")
        } else {
            key = AppKey.fromBYOKBytes(keyBytes)
            guard key.keySource == metadata.keySource else {
                throw SealedStoreError.integrity("app record '\(metadata.name)' (key does not match its key source)")
            }
        }
        let record = AppRecord(name: metadata.name, hostname: metadata.hostname,
                               code: Array(plaintext[codeStart...]), key: key,
                               limits: metadata.limits, loadedAt: metadata.loadedAt, quarantine: metadata.quarantine,
                               appAuthDigest: metadata.appAuthDigest)
        guard record.codeHash == metadata.codeHash else {
            throw SealedStoreError.integrity("app record '\(metadata.name)' (code hash mismatch)")
        }
        return record
    }
}

/// Seals app records under keys derived from the platform sealing key.
///
/// Row id = HMAC(id-key, lp(name)), so the host does not see app names; record =
/// nonce ‖ AES-256-GCM(record-key, encoded record, AAD = "enclaveos.app.v1" ‖ id) ‖ tag, and the
/// decrypted name must hash back to the id, so records cannot be renamed or swapped.
struct AppRecordSealer: Sendable {
    static let idKeyInfo: [UInt8] = Array("enclaveos/registry/v1/id-key".utf8)
    static let recordKeyInfo: [UInt8] = Array("enclaveos/registry/v1/record-key".utf8)
    static let aadLabel: [UInt8] = Array("enclaveos.app.v1".utf8)

    private let idKey: SymmetricKey
    private let recordKey: AESGCMKey

    init(sealingKey: SymmetricKey) {
        idKey = DerivedAppKeys.derive(sealingKey, info: Self.idKeyInfo)
        recordKey = AESGCMKey(DerivedAppKeys.derive(sealingKey, info: Self.recordKeyInfo))
    }

    func id(forApp name: String) -> [UInt8] {
        DerivedAppKeys.mac(idKey, Bytes.lengthPrefixed(Array(name.utf8)))
    }

    func seal(_ record: AppRecord) throws -> (id: [UInt8], sealed: [UInt8]) {
        let id = id(forApp: record.name)
        var plaintext = try AppRecordCodec.encode(record)
        defer { Wipe.bytes(&plaintext) }
        return (id, try DerivedAppKeys.seal(plaintext, using: recordKey, aad: Self.aadLabel + id))
    }

    func open(id: [UInt8], sealed: [UInt8]) throws -> AppRecord {
        var plaintext = try DerivedAppKeys.open(sealed, using: recordKey, aad: Self.aadLabel + id, what: "app record")
        defer { Wipe.bytes(&plaintext) }
        let record = try AppRecordCodec.decode(plaintext)
        guard self.id(forApp: record.name) == id else {
            throw SealedStoreError.integrity("app record '\(record.name)' (stored under another app's id)")
        }
        return record
    }
}
