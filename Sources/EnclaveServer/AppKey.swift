import Crypto

/// An app's 32-byte data key: generated at load, or brought by the client (BYOK).
///
/// The key itself never leaves the server; clients only ever see `keySource`.
public struct AppKey: @unchecked Sendable {
    // @unchecked: SymmetricKey is an immutable value (its storage is never mutated after
    // creation) but swift-crypto 3.12 does not declare it Sendable.
    /// The key material.
    public let key: SymmetricKey
    /// `generated`, or `byok:<hex sha256 of the key>` so a client can check which key is in use
    /// without the key being disclosed.
    public let keySource: String

    /// A fresh random key from the system CSPRNG.
    public static func generate() -> AppKey {
        AppKey(key: SymmetricKey(size: .bits256), keySource: "generated")
    }

    /// Parses a client-supplied key: exactly 64 hex characters (32 bytes).
    /// - Throws: `AppKeyError` with the compat message texts.
    public static func byok(hex: String) throws(AppKeyError) -> AppKey {
        guard let bytes = Hex.decode(hex) else { throw .invalidHex }
        guard bytes.count == 32 else { throw .wrongLength(bytes.count) }
        let fingerprint = Hex.encode(SHA256.hash(data: bytes))
        return AppKey(key: SymmetricKey(data: bytes), keySource: "byok:\(fingerprint)")
    }
}

/// Why a BYOK `encryption_key` was refused. The descriptions are compat texts.
public enum AppKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not an even-length string of hex digits.
    case invalidHex
    /// Valid hex, but not 32 bytes.
    case wrongLength(Int)

    public var description: String {
        switch self {
        case .invalidHex: return "encryption_key: invalid hex encoding"
        case .wrongLength(let count): return "encryption_key: expected 32 bytes, got \(count)"
        }
    }
}

/// Lowercase hexadecimal, as used for code hashes and key fingerprints.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lowercase hex of `bytes`.
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex in either case; nil for an odd length or a non-hex character.
    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = value(chars[index]), let low = value(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func value(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return char - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
