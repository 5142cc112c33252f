@preconcurrency import Crypto

/// The keys one call holds by name (`privasys:enclave-os/keystore`). Lives in the call's
/// `WASISession`, so it starts empty for every call; `persist-key` / `load-key` carry a key
/// across calls through the app's sealed store. Bounded: names and count are capped.
public struct KeyStore {
    /// One key's material.
    enum Material {
        case symmetric(SymmetricKey)
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case hmac(SymmetricKey)
    }

    /// Most keys held at once in one call.
    public static let maxKeys = 256
    /// Longest key name, in UTF-8 bytes.
    public static let maxNameBytes = 256

    private var keys: [String: Material] = [:]

    /// An empty keystore.
    public init() {}

    func contains(_ name: String) -> Bool { keys[name] != nil }
    subscript(name: String) -> Material? { keys[name] }

    /// Adds a key under a new name (the SDK's rules: non-empty, not yet held).
    mutating func insert(_ material: Material, as name: String, existsMessage: String = "key already exists") throws {
        try Self.checkName(name)
        guard keys[name] == nil else { throw SDKError(existsMessage) }
        guard keys.count < Self.maxKeys else { throw SDKError("keystore full: at most \(Self.maxKeys) keys per call") }
        keys[name] = material
    }

    mutating func remove(_ name: String) -> Bool { keys.removeValue(forKey: name) != nil }

    static func checkName(_ name: String) throws {
        guard !name.isEmpty else { throw SDKError("key name cannot be empty") }
        guard name.utf8.count <= maxNameBytes else { throw SDKError("key name longer than \(maxNameBytes) bytes") }
    }
}

/// How a key is kept in the app's sealed store (which encrypts and authenticates it):
/// one tag byte, then the raw key.
enum KeyMaterialCodec {
    /// The store key of a persisted key (apart from the filesystem's `fs:` keys).
    static func storeKey(_ name: String) -> String { "key:" + name }

    static func encode(_ material: KeyStore.Material) -> [UInt8] {
        switch material {
        case .symmetric(let key): return [0x01] + key.withUnsafeBytes { Array($0) }
        case .p256(let key): return [0x02] + Array(key.rawRepresentation)
        case .hmac(let key): return [0x03] + key.withUnsafeBytes { Array($0) }
        case .p384(let key): return [0x04] + Array(key.rawRepresentation)
        }
    }

    static func decode(_ bytes: [UInt8]) -> KeyStore.Material? {
        guard let tag = bytes.first else { return nil }
        let raw = bytes.dropFirst()
        switch tag {
        case 0x01 where raw.count == 32: return .symmetric(SymmetricKey(data: raw))
        case 0x02: return (try? P256.Signing.PrivateKey(rawRepresentation: raw)).map { .p256($0) }
        case 0x03 where [32, 48, 64].contains(raw.count): return .hmac(SymmetricKey(data: raw))
        case 0x04: return (try? P384.Signing.PrivateKey(rawRepresentation: raw)).map { .p384($0) }
        default: return nil
        }
    }
}
