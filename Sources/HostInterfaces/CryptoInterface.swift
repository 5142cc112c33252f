@preconcurrency import Crypto
import Components
import Foundation

/// `privasys:enclave-os/crypto@0.1.0`: digests, AES-256-GCM, ECDSA P-256/P-384 (DER
/// signatures), HMAC and random bytes, with keys named from the call's `KeyStore`. Error texts
/// are the original SDK's.
enum CryptoInterface {
    static let name = "privasys:enclave-os/crypto@0.1.0"
    /// Most random bytes per `get-random-bytes` call (the original SDK's cap).
    static let maxRandomBytes = 65_536
    static let nonceBytes = 12
    static let tagBytes = 16

    static let interface = WASIInterface(name: name, functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("digest") { _, args in
            let algorithm = try args.enumCase(0), data = try args.bytes(1)
            return try SDKResult.run {
                switch algorithm {
                case 0: return .bytes(Array(SHA256.hash(data: data)))
                case 1: return .bytes(Array(SHA384.hash(data: data)))
                case 2: return .bytes(Array(SHA512.hash(data: data)))
                default: throw SDKError("unsupported digest algorithm")
                }
            }
        },
        WASIInterface.function("encrypt") { session, args in
            let (name, iv, aad, plaintext) = (try args.string(0), try args.bytes(1), try args.bytes(2), try args.bytes(3))
            return try SDKResult.run {
                let (key, nonce) = try symmetricKey(session, name, iv: iv)
                do {
                    let box = try AES.GCM.seal(plaintext, using: key, nonce: nonce, authenticating: aad)
                    return .bytes(Array(box.ciphertext) + Array(box.tag))
                } catch {
                    throw SDKError("encryption failed")
                }
            }
        },
        WASIInterface.function("decrypt") { session, args in
            let (name, iv, aad, ciphertext) = (try args.string(0), try args.bytes(1), try args.bytes(2), try args.bytes(3))
            return try SDKResult.run {
                let (key, nonce) = try symmetricKey(session, name, iv: iv)
                do {
                    guard ciphertext.count >= tagBytes else { throw SDKError("") }
                    let box = try AES.GCM.SealedBox(nonce: nonce, ciphertext: ciphertext.dropLast(tagBytes), tag: ciphertext.suffix(tagBytes))
                    return .bytes(Array(try AES.GCM.open(box, using: key, authenticating: aad)))
                } catch {
                    throw SDKError("decryption failed (bad key, IV, AAD, or tampered data)")
                }
            }
        },
        WASIInterface.function("sign") { session, args in
            let (name, algorithm, data) = (try args.string(0), try args.enumCase(1), try args.bytes(2))
            return try SDKResult.run {
                switch (try signingKey(session, name, algorithm)) {
                case .p256(let key): return .bytes(Array(try key.signature(for: data).derRepresentation))
                case .p384(let key): return .bytes(Array(try key.signature(for: data).derRepresentation))
                default: throw SDKError("signing failed")
                }
            }
        },
        WASIInterface.function("verify") { session, args in
            let (name, algorithm, data, signature) = (try args.string(0), try args.enumCase(1), try args.bytes(2), try args.bytes(3))
            return try SDKResult.run {
                switch (try signingKey(session, name, algorithm)) {
                case .p256(let key):
                    guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return .bool(false) }
                    return .bool(key.publicKey.isValidSignature(parsed, for: data))
                case .p384(let key):
                    guard let parsed = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return .bool(false) }
                    return .bool(key.publicKey.isValidSignature(parsed, for: data))
                default: return .bool(false)
                }
            }
        },
        WASIInterface.function("hmac-sign") { session, args in
            let (name, algorithm, data) = (try args.string(0), try args.enumCase(1), try args.bytes(2))
            return try SDKResult.run {
                let key = try hmacKey(session, name)
                switch algorithm {
                case 0: return .bytes(Array(HMAC<SHA256>.authenticationCode(for: data, using: key)))
                case 1: return .bytes(Array(HMAC<SHA384>.authenticationCode(for: data, using: key)))
                case 2: return .bytes(Array(HMAC<SHA512>.authenticationCode(for: data, using: key)))
                default: throw SDKError("unsupported HMAC algorithm")
                }
            }
        },
        WASIInterface.function("hmac-verify") { session, args in
            let (name, algorithm, data, tag) = (try args.string(0), try args.enumCase(1), try args.bytes(2), try args.bytes(3))
            return try SDKResult.run {
                let key = try hmacKey(session, name)
                switch algorithm {
                case 0: return .bool(HMAC<SHA256>.isValidAuthenticationCode(tag, authenticating: data, using: key))
                case 1: return .bool(HMAC<SHA384>.isValidAuthenticationCode(tag, authenticating: data, using: key))
                case 2: return .bool(HMAC<SHA512>.isValidAuthenticationCode(tag, authenticating: data, using: key))
                default: throw SDKError("unsupported HMAC algorithm")
                }
            }
        },
        WASIInterface.function("get-random-bytes") { _, args in
            let count = try args.u32(0)
            return try SDKResult.run {
                guard count <= maxRandomBytes else { throw SDKError("maximum 65536 bytes per call") }
                return .bytes(try RandomInterface.randomBytes(UInt64(count)))
            }
        },
    ]))

    private static func symmetricKey(_ session: WASISession, _ name: String, iv: [UInt8]) throws -> (SymmetricKey, AES.GCM.Nonce) {
        guard iv.count == nonceBytes, let nonce = try? AES.GCM.Nonce(data: iv) else { throw SDKError("IV must be 12 bytes") }
        guard case .symmetric(let key)? = session.keys[name] else { throw SDKError("key not found or not a symmetric key") }
        return (key, nonce)
    }

    /// The signing key `name`, which must be of the curve `algorithm` names (as the original,
    /// a key of the other curve fails to load for it).
    private static func signingKey(_ session: WASISession, _ name: String, _ algorithm: Int) throws -> KeyStore.Material {
        guard (0...1).contains(algorithm) else { throw SDKError("unsupported sign algorithm") }
        switch session.keys[name] {
        case .p256(let key)? where algorithm == 0: return .p256(key)
        case .p384(let key)? where algorithm == 1: return .p384(key)
        case .p256?, .p384?: throw SDKError("failed to load signing key")
        default: throw SDKError("key not found or not a signing key")
        }
    }

    private static func hmacKey(_ session: WASISession, _ name: String) throws -> SymmetricKey {
        guard case .hmac(let key)? = session.keys[name] else { throw SDKError("key not found or not an HMAC key") }
        return key
    }
}
