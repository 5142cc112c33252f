import Attestation
import Foundation
import NIOSSL

/// One attested certificate and the TLS context that serves it.
///
/// A context is never shared between two certificates: NIOSSL contexts issue session tickets
/// (with no public switch to turn them off), and the ticket keys live in the context. A client
/// holding a ticket from a previous certificate therefore cannot resume against a new context
/// and must do a full handshake, which shows it the new certificate.
struct IssuedCertificate: Sendable {
    /// The certificate, its key, evidence and report data.
    let certificate: AttestedCertificate
    /// A TLS 1.3-only server context presenting exactly this certificate.
    let context: NIOSSLContext
    /// When it was issued (to rebuild deterministic certificates before they expire).
    let issuedAt: Date

    /// Builds a certificate for `identity` and a fresh context around it.
    /// - Throws: ``AttestationError`` (facts, provider) or a NIOSSL error (key, context).
    init(_ identity: CertificateIdentity, mode: BindingMode, builder: AttestedCertificateBuilder, now: Date) throws {
        let certificate = try builder.build(identity, mode: mode)
        let serverIdentity = ServerIdentity(
            certificateChain: try ([certificate.certificateDER] + certificate.chainDER).map { try NIOSSLCertificate(bytes: $0, format: .der) },
            privateKey: try NIOSSLPrivateKey(bytes: certificate.privateKeyDER, format: .der)
        )
        self.certificate = certificate
        self.context = try serverIdentity.makeContext()
        self.issuedAt = now
    }
}
