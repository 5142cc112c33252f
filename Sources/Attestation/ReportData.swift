import Crypto
import Foundation

/// What the report data binds the certificate key to, besides the key itself.
public enum ReportDataBinding: Sendable, Equatable {
    /// Challenge mode: the client's nonce from ClientHello extension `0xFFBB`.
    case nonce([UInt8])
    /// Deterministic mode: the certificate's NotBefore, as `YYYY-MM-DDTHH:MMZ`
    /// truncated to the minute, so any client can recompute it from the certificate.
    case notBefore(Date)

    /// The bytes hashed after the key digest.
    public var bytes: [UInt8] {
        switch self {
        case .nonce(let nonce): return nonce
        case .notBefore(let date): return Array(ReportData.minuteTimestamp(date).utf8)
        }
    }
}

/// The 64 bytes placed in the TEE report:
/// `SHA-512(SHA-256(leaf SubjectPublicKeyInfo DER) ‖ binding)`.
///
/// Binding the SPKI digest proves the TLS key was created inside the TEE that
/// produced the report; binding a nonce or timestamp proves freshness.
public struct ReportData: Sendable, Equatable {
    /// Every TEE report carries exactly 64 bytes of report data.
    public static let length = 64
    /// Longest accepted challenge nonce. The nonce arrives from the network, so it
    /// is bounded; 64 bytes is more than any freshness argument needs.
    public static let maxNonceLength = 64

    /// The 64 bytes.
    public let bytes: [UInt8]

    /// Computes report data for a key and binding.
    /// - Parameters:
    ///   - subjectPublicKeyInfoDER: the leaf certificate's SubjectPublicKeyInfo, DER, exactly as in the certificate.
    ///   - binding: the nonce or NotBefore binding.
    public init(subjectPublicKeyInfoDER: [UInt8], binding: ReportDataBinding) {
        let keyDigest = SHA256.hash(data: subjectPublicKeyInfoDER)
        var hasher = SHA512()
        hasher.update(data: Array(keyDigest))
        hasher.update(data: binding.bytes)
        self.bytes = Array(hasher.finalize())
    }

    /// Checks a challenge nonce's length.
    /// - Throws: ``AttestationError/invalidNonceLength(_:)`` when empty or too long.
    public static func validateNonce(_ nonce: [UInt8]) throws {
        guard (1 ... maxNonceLength).contains(nonce.count) else {
            throw AttestationError.invalidNonceLength(nonce.count)
        }
    }

    /// `date` truncated to the minute, UTC.
    public static func truncatedToMinute(_ date: Date) -> Date {
        let seconds = (date.timeIntervalSince1970 / 60).rounded(.down) * 60
        return Date(timeIntervalSince1970: seconds)
    }

    /// `YYYY-MM-DDTHH:MMZ` of `date` in UTC, truncated to the minute.
    ///
    /// Computed arithmetically (proleptic Gregorian, Hinnant's civil-from-days)
    /// rather than with a formatter, so no locale or calendar setting can change it.
    public static func minuteTimestamp(_ date: Date) -> String {
        let minutes = Int64((date.timeIntervalSince1970 / 60).rounded(.down))
        let days = minutes >= 0 ? minutes / 1440 : (minutes - 1439) / 1440
        let minuteOfDay = minutes - days * 1440
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
            + pad(minuteOfDay / 60, 2) + ":" + pad(minuteOfDay % 60, 2) + "Z"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
