@preconcurrency import Crypto
import Components

/// `privasys:enclave-os/keystore@0.1.0`: named keys for the call (`KeyStore` in its session),
/// persisted on request in the app's sealed store under `key:<name>`. Only public keys leave:
/// `export-public-key` returns the SEC1 uncompressed point (65 bytes for P-256, 97 for P-384),
/// which is what the original SDK returns (its WIT comment says DER). Error texts are the
/// original's.
enum KeystoreInterface {
    static let name = "privasys:enclave-os/keystore@0.1.0"

    static let interface = WASIInterface(name: name, functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("generate-symmetric-key") { session, args in
            let keyName = try args.string(0)
            return try SDKResult.run {
                try session.keys.insert(.symmetric(SymmetricKey(size: .bits256)), as: keyName)
                return nil
            }
        },
        WASIInterface.function("generate-signing-key") { session, args in
            let (keyName, algorithm) = (try args.string(0), try args.enumCase(1))
            return try SDKResult.run {
                switch algorithm {
                case 0: try session.keys.insert(.p256(P256.Signing.PrivateKey()), as: keyName)
                case 1: try session.keys.insert(.p384(P384.Signing.PrivateKey()), as: keyName)
                default: throw SDKError("unsupported sign algorithm")
                }
                return nil
            }
        },
        WASIInterface.function("generate-hmac-key") { session, args in
            let (keyName, algorithm) = (try args.string(0), try args.enumCase(1))
            return try SDKResult.run {
                let sizes = [32, 48, 64]
                guard sizes.indices.contains(algorithm) else { throw SDKError("unsupported HMAC algorithm") }
                let bytes = try RandomInterface.randomBytes(UInt64(sizes[algorithm]))
                try session.keys.insert(.hmac(SymmetricKey(data: bytes)), as: keyName)
                return nil
            }
        },
        WASIInterface.function("import-symmetric-key") { session, args in
            let (keyName, raw) = (try args.string(0), try args.bytes(1))
            return try SDKResult.run {
                try KeyStore.checkName(keyName)
                guard !session.keys.contains(keyName) else { throw SDKError("key already exists") }
                guard raw.count == 32 else { throw SDKError("AES-256 key must be exactly 32 bytes") }
                try session.keys.insert(.symmetric(SymmetricKey(data: raw)), as: keyName)
                return nil
            }
        },
        WASIInterface.function("export-public-key") { session, args in
            let keyName = try args.string(0)
            return try SDKResult.run {
                switch session.keys[keyName] {
                case .p256(let key)?: return .bytes(Array(key.publicKey.x963Representation))
                case .p384(let key)?: return .bytes(Array(key.publicKey.x963Representation))
                default: throw SDKError("key not found or not a signing key")
                }
            }
        },
        WASIInterface.function("delete-key") { session, args in
            let keyName = try args.string(0)
            return try SDKResult.run {
                guard session.keys.remove(keyName) else { throw SDKError("key not found") }
                return nil
            }
        },
        WASIInterface.function("key-exists") { session, args in
            let keyName = try args.string(0)
            return SDKResult.ok(.bool(session.keys.contains(keyName)))
        },
        WASIInterface.function("persist-key") { session, args in
            let keyName = try args.string(0)
            return try SDKResult.run {
                guard let material = session.keys[keyName] else { throw SDKError("key not found") }
                guard let kv = session.kv else { throw SDKError("KV store write failed") }
                var encoded = KeyMaterialCodec.encode(material)
                defer { for index in encoded.indices { encoded[index] = 0 } }
                do { try kv.put(KeyMaterialCodec.storeKey(keyName), encoded) } catch { throw SDKError("KV store write failed") }
                return nil
            }
        },
        WASIInterface.function("load-key") { session, args in
            let keyName = try args.string(0)
            return try SDKResult.run {
                try KeyStore.checkName(keyName)
                guard !session.keys.contains(keyName) else { throw SDKError("key already exists in memory") }
                guard let kv = session.kv else { throw SDKError("KV store read failed") }
                let stored: [UInt8]?
                do { stored = try kv.get(KeyMaterialCodec.storeKey(keyName)) } catch { throw SDKError("KV store read failed") }
                guard var encoded = stored else { throw SDKError("no persisted key with that name") }
                defer { for index in encoded.indices { encoded[index] = 0 } }
                guard let material = KeyMaterialCodec.decode(encoded) else { throw SDKError("corrupted key data") }
                try session.keys.insert(material, as: keyName, existsMessage: "key already exists in memory")
                return nil
            }
        },
    ]))
}
