import Crypto
import Foundation
import SwiftASN1
import X509

/// Certificate chains of Intel's DCAP PKI (all ECDSA P-256 / SHA-256), checked with
/// swift-certificates to the pinned Intel SGX Root CA, plus the raw r‖s signatures DCAP uses.
enum IntelChain {
    /// Certificates of a PEM bundle, in order (CRLF tolerated, as some tools write it).
    static func certificates(pem: [UInt8]) throws -> [Certificate] {
        let text = String(decoding: pem, as: UTF8.self).replacingOccurrences(of: "\r", with: "")
        let blocks = try PEMDocument.parseMultiple(pemString: text).filter { $0.discriminator == "CERTIFICATE" }
        return try blocks.map { try Certificate(derEncoded: $0.derBytes) }
    }

    /// nil when `chain` is leaf … root, each certificate signed by the next, every issuer a CA,
    /// and the last one byte-equal to the pinned Intel SGX Root CA; else why not.
    static func problem(_ chain: [Certificate]) -> String? {
        guard chain.count >= 2, let root = chain.last else {
            return "chain has \(chain.count) certificate(s), needs a leaf and the root"
        }
        guard derBytes(root) == VendorRoots.intelSGXRootCA else {
            return "root certificate \(commonName(root.subject)) is not the pinned Intel SGX Root CA"
        }
        for (index, certificate) in chain.enumerated() {
            let issuer = chain[min(index + 1, chain.count - 1)]
            guard certificate.issuer == issuer.subject else {
                return "issuer \(certificate.issuer) of \(commonName(certificate.subject)) is not \(issuer.subject)"
            }
            guard issuer.publicKey.isValidSignature(certificate.signature, for: certificate) else {
                return "signature of \(commonName(certificate.subject)) by \(commonName(issuer.subject)) does not verify"
            }
            if index > 0, !isCA(certificate) {
                return "\(commonName(certificate.subject)) is not a CA certificate"
            }
        }
        return nil
    }

    /// nil when every certificate is valid at `time`; else which one is not. An expiry is
    /// prefixed with `expiredPrefix` (collateral checks say "collateral expired: ").
    static func notCurrent(_ chain: [Certificate], at time: Date, expiredPrefix: String = "") -> String? {
        for certificate in chain {
            if time > certificate.notValidAfter {
                return "\(expiredPrefix)certificate \(commonName(certificate.subject)) expired: notAfter \(Timestamp.iso(certificate.notValidAfter)) is before \(Timestamp.iso(time))"
            }
            if time < certificate.notValidBefore {
                return "certificate \(commonName(certificate.subject)) is not yet valid: notBefore \(Timestamp.iso(certificate.notValidBefore)) is after \(Timestamp.iso(time))"
            }
        }
        return nil
    }

    /// Whether a raw r‖s P-256 signature over `message` (SHA-256) verifies with `key`.
    static func isValidRaw(_ signature: [UInt8], of message: [UInt8], by key: P256.Signing.PublicKey) -> Bool {
        guard let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
        return key.isValidSignature(parsed, for: message)
    }

    /// The P-256 key of a certificate (every Intel DCAP certificate has one).
    static func p256Key(_ certificate: Certificate) -> P256.Signing.PublicKey? {
        P256.Signing.PublicKey(certificate.publicKey)
    }

    /// The first common name of a distinguished name, or the whole name.
    static func commonName(_ name: DistinguishedName) -> String {
        for rdn in name {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return "\(attribute.value)"
            }
        }
        return "\(name)"
    }

    /// The certificate's DER (swift-certificates keeps the signed bytes as they arrived).
    static func derBytes(_ certificate: Certificate) -> [UInt8]? {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(certificate)) != nil else { return nil }
        return serializer.serializedBytes
    }

    private static func isCA(_ certificate: Certificate) -> Bool {
        guard let constraints = try? certificate.extensions.basicConstraints,
              case .isCertificateAuthority = constraints
        else { return false }
        return true
    }
}

/// UTC timestamps as collateral writes them (`2025-07-19T10:56:11Z`).
enum Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SSZ`; nil for anything else.
    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` of `date`.
    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
