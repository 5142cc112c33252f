import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// A fresh, self-signed ECDSA P-256 identity with **no attestation at all**. `enclave-os` no
/// longer uses it (it serves ``RATLSIdentity``, whose simulated mode is at least verifiable as
/// simulated); it remains for protocol tests that do not care about the certificate.
///
/// The certificate is CN `enclave-os`, valid for `localhost` and `127.0.0.1`, for about a year.
/// It proves nothing about the code running; clients must not treat it as attested.
public final class SelfSignedIdentity: ServerIdentityProvider {
    /// The leaf certificate, DER-encoded (for pinning by tests and clients).
    public let certificateDER: [UInt8]
    private let context: NIOSSLContext

    /// Generates a new key pair and certificate.
    /// - Parameters:
    ///   - commonName: the subject CN.
    ///   - dnsNames: subject alternative DNS names.
    ///   - ipAddresses: subject alternative IP addresses, 4 or 16 raw bytes each.
    ///   - validity: how long the certificate is valid from now.
    ///   - now: the start of validity (a minute of slack is subtracted for clock skew).
    /// - Throws: `IdentityError.certificateCreation` if the certificate cannot be built.
    public init(
        commonName: String = "enclave-os",
        dnsNames: [String] = ["localhost"],
        ipAddresses: [[UInt8]] = [[127, 0, 0, 1]],
        validity: TimeInterval = 365 * 24 * 3600,
        now: Date = Date()
    ) throws {
        let signingKey = P256.Signing.PrivateKey()
        do {
            let certificateKey = Certificate.PrivateKey(signingKey)
            let name = try DistinguishedName { CommonName(commonName) }
            let alternativeNames = dnsNames.map { GeneralName.dnsName($0) }
                + ipAddresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: $0[...])) }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(alternativeNames)
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: certificateKey.publicKey,
                notValidBefore: now.addingTimeInterval(-60),
                notValidAfter: now.addingTimeInterval(validity),
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: certificateKey
            )
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            certificateDER = serializer.serializedBytes
            let identity = ServerIdentity(
                certificateChain: [try NIOSSLCertificate(bytes: certificateDER, format: .der)],
                privateKey: try NIOSSLPrivateKey(bytes: Array(signingKey.derRepresentation), format: .der)
            )
            context = try identity.makeContext()
        } catch {
            throw IdentityError.certificateCreation(String(describing: error))
        }
    }

    /// The same context every time: this identity never rotates.
    public func currentContext() throws -> NIOSSLContext {
        context
    }
}

/// Failures producing the server's TLS identity.
public enum IdentityError: Error, CustomStringConvertible {
    /// The certificate or TLS context could not be built; the text is the underlying error.
    case certificateCreation(String)

    public var description: String {
        switch self {
        case .certificateCreation(let why):
            return "could not create the server's TLS certificate: \(why)"
        }
    }
}
