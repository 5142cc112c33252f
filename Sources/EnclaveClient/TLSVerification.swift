/// How the client checks the server's TLS certificate.
///
/// **There is no verification yet.** An EnclaveOS server presents a self-signed RA-TLS
/// certificate whose trust comes from the attestation evidence inside it, not from a CA, so
/// ordinary chain verification cannot succeed. Verifying that evidence (quote kind,
/// measurements, ReportData binding, code-hash OIDs — SPEC §8) is a separate piece of work;
/// it will be added here as a new case (e.g. `.attested(policy)`), and `connect` will run it
/// on the peer certificate after the handshake. Until then every connection is
/// **unauthenticated**: confidential against passive observers, not against an active
/// man-in-the-middle.
public enum TLSVerification: Sendable, Hashable {
    /// Accept any certificate. The only mode today; see the type's documentation.
    case noVerification
}
