@preconcurrency import Crypto
import Foundation
import SwiftASN1
import X509

/// An operator's intermediate CA that signs the RA-TLS leaves instead of the leaves signing
/// themselves (`enclave-os --ca-cert --ca-key`, as the original did): the server then serves
/// `[leaf, intermediate]`, and a client that trusts the intermediate verifies the chain. The
/// attestation is unchanged: the evidence still binds the leaf's own key.
public struct CertificateIssuer: Sendable {
    /// The intermediate's certificate.
    public let certificate: Certificate
    /// The intermediate's certificate, DER (the second element of the served chain).
    public let certificateDER: [UInt8]
    let privateKey: Certificate.PrivateKey
    /// The algorithm the intermediate's key signs with.
    let signatureAlgorithm: Certificate.SignatureAlgorithm

    /// Loads the intermediate from PEM text.
    /// - Throws: ``AttestationError/invalidIssuer(_:)`` naming what is wrong: unreadable PEM, a
    ///   certificate that is not a CA, or a key that does not belong to it.
    public init(certificatePEM: String, privateKeyPEM: String) throws {
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw AttestationError.invalidIssuer("the CA certificate is not a PEM certificate: \(error)")
        }
        // ECDSA P-256 or P-384 keys (the algorithms the leaves' clients are sure to accept).
        let key: Certificate.PrivateKey
        if let p256 = try? P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM) {
            key = Certificate.PrivateKey(p256)
            signatureAlgorithm = .ecdsaWithSHA256
        } else if let p384 = try? P384.Signing.PrivateKey(pemRepresentation: privateKeyPEM) {
            key = Certificate.PrivateKey(p384)
            signatureAlgorithm = .ecdsaWithSHA384
        } else {
            throw AttestationError.invalidIssuer("the CA key is not a PEM ECDSA P-256 or P-384 private key")
        }
        guard key.publicKey == certificate.publicKey else {
            throw AttestationError.invalidIssuer("the CA key does not belong to the CA certificate")
        }
        guard case .isCertificateAuthority? = try? certificate.extensions.basicConstraints else {
            throw AttestationError.invalidIssuer("the CA certificate is not a certificate authority (basicConstraints CA:TRUE)")
        }
        self.certificate = certificate
        self.privateKey = key
        do {
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            certificateDER = serializer.serializedBytes
        } catch {
            throw AttestationError.invalidIssuer("the CA certificate cannot be re-encoded: \(error)")
        }
    }

    /// Reads both PEM files.
    public init(certificateFile: String, keyFile: String) throws {
        func read(_ path: String, _ what: String) throws -> String {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw AttestationError.invalidIssuer("cannot read the \(what) file \(path)")
            }
            return String(decoding: data, as: UTF8.self)
        }
        try self.init(certificatePEM: try read(certificateFile, "CA certificate"), privateKeyPEM: try read(keyFile, "CA key"))
    }

}

extension CertificateIssuer {
    /// A certificate file's bytes (PEM or DER) as DER.
    /// - Throws: ``AttestationError/invalidIssuer(_:)`` when they are neither.
    public static func certificateDER(pemOrDER bytes: [UInt8]) throws -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            let certificate = text.contains("-----BEGIN") ? try Certificate(pemEncoded: text) : try Certificate(derEncoded: bytes)
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return serializer.serializedBytes
        } catch {
            throw AttestationError.invalidIssuer("not a PEM or DER certificate: \(error)")
        }
    }
}

/// Checks a leaf against an operator CA: issued by it, signed by its key, the CA valid at `now`.
enum ChainCheck {
    static func verify(_ leaf: Certificate, issuedBy caDER: [UInt8], now: Date?, _ report: inout VerificationReport) {
        let name = "certificate.chain"
        guard let ca = try? Certificate(derEncoded: caDER) else {
            report.record(name, false, "the given CA certificate does not parse")
            return
        }
        guard leaf.issuer == ca.subject else {
            report.record(name, false, "issued by \(leaf.issuer), not by the given CA \(ca.subject)")
            return
        }
        guard ca.publicKey.isValidSignature(leaf.signature, for: leaf) else {
            report.record(name, false, "the signature does not verify with the given CA's key")
            return
        }
        if let now, !(ca.notValidBefore <= now && now <= ca.notValidAfter) {
            report.record(name, false, "the CA is valid \(ca.notValidBefore) … \(ca.notValidAfter), not at \(now)")
            return
        }
        report.record(name, true, "signed by the given CA \(ca.subject)")
    }
}
