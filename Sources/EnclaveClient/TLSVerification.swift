import Attestation

/// How the client checks the server's TLS certificate.
///
/// An EnclaveOS server presents a self-signed RA-TLS certificate whose trust comes from the
/// attestation evidence inside it, not from a CA, so ordinary chain verification cannot
/// succeed. `.attested` runs ``AttestationVerifier`` on the peer certificate right after the
/// handshake, before a single request is sent, and refuses the connection on any failed check
/// (docs/attestation.md). `.noVerification` accepts anything: confidential against passive observers, not
/// against an active man-in-the-middle.
public enum TLSVerification: Sendable {
    /// Accept any certificate (development; the CLI's default without `--verify`).
    case noVerification
    /// Require an attested certificate meeting `expectations` (deterministic binding: NIOSSL
    /// cannot send the `0xFFBB` challenge nonce, see ``ChallengeClient``).
    case attested(VerificationExpectations)
    /// As `.attested`, and the hardware evidence is also appraised by an attestation server.
    case attestedAndAppraised(VerificationExpectations, RemoteAppraiser)

    /// Checks the certificate the server presented. May block (collateral files, appraisal):
    /// never call it on an event loop.
    /// - Parameter certificateDER: the peer's leaf certificate, nil when none was shown.
    /// - Returns: the verification report (nil for `.noVerification`).
    /// - Throws: ``AttestationRefused`` naming every failed check.
    @discardableResult
    public func check(peerCertificateDER certificateDER: [UInt8]?) throws -> VerificationReport? {
        let expectations: VerificationExpectations
        var appraiser: RemoteAppraiser?
        switch self {
        case .noVerification: return nil
        case .attested(let wanted): expectations = wanted
        case .attestedAndAppraised(let wanted, let remote): (expectations, appraiser) = (wanted, remote)
        }
        guard let certificateDER else { throw AttestationRefused.noCertificate }
        var report = AttestationVerifier(expectations: expectations).verify(certificateDER: certificateDER)
        if let appraiser {
            if let evidence = AttestationVerifier.hardwareEvidence(certificateDER: certificateDER) {
                appraiser.appraise(evidence: evidence, into: &report)
            } else {
                report.append(.init(name: "remote-appraisal", passed: false, detail: "the certificate carries no hardware evidence to appraise"))
            }
        }
        guard report.passed else { throw AttestationRefused.failed(report) }
        return report
    }
}

/// The server's certificate did not pass attestation verification; nothing was sent to it.
public enum AttestationRefused: Error, CustomStringConvertible {
    /// The handshake completed without a peer certificate (e.g. a resumed session).
    case noCertificate
    /// At least one check failed; the report lists all of them.
    case failed(VerificationReport)

    public var description: String {
        switch self {
        case .noCertificate:
            return "attestation verification failed: the server presented no certificate"
        case .failed(let report):
            let failed = report.failures.map { "\($0.name) (\($0.detail))" }.joined(separator: "; ")
            return "attestation verification failed, refusing to talk to this server: \(failed)"
        }
    }
}
