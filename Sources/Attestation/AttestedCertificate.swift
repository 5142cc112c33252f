// P256 keys are immutable values but not marked Sendable in swift-crypto 3.12.
@preconcurrency import Crypto
import Foundation
import X509

/// A freshly built attested leaf and its private key, in forms NIOSSL loads
/// directly (`NIOSSLCertificate(bytes: certificateDER, format: .der)`,
/// `NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)`).
public struct AttestedCertificate: Sendable {
    /// The parsed certificate.
    public let certificate: Certificate
    /// The certificate's private key. Never leaves the TEE.
    public let privateKey: P256.Signing.PrivateKey
    /// The certificate, DER.
    public let certificateDER: [UInt8]
    /// The certificate, PEM (`CERTIFICATE`).
    public let certificatePEM: String
    /// The report data embedded in the evidence.
    public let reportData: ReportData
    /// The evidence embedded in the certificate.
    public let evidence: Evidence
    /// The certificates served after the leaf (DER): the operator CA, when one signs the leaves.
    public var chainDER: [[UInt8]] = []

    /// The private key, PKCS#8 PEM (`PRIVATE KEY`).
    public var privateKeyPEM: String { privateKey.pemRepresentation }
    /// The private key, PKCS#8 DER.
    public var privateKeyDER: [UInt8] { Array(privateKey.derRepresentation) }
}
