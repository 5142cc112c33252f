import Foundation
import SwiftASN1
import X509

/// Verifies an EnclaveOS attested leaf certificate and reports every check.
///
/// What it establishes: the certificate is well formed and self-signed by its key;
/// exactly one evidence extension is present, of an accepted format; simulated
/// evidence is refused unless allowed; the evidence's report data equals
/// `SHA-512(SHA-256(SPKI) ‖ binding)` recomputed from this certificate; hardware evidence
/// verifies to the vendor root with the given collateral under the evidence policy
/// (``EvidenceVerifier``); the config root matches the other extensions; expected values match.
/// What remains unestablished is listed under ``VerificationReport/notChecked``.
public struct AttestationVerifier: Sendable {
    /// What the client expects.
    public var expectations: VerificationExpectations

    /// Creates a verifier.
    public init(expectations: VerificationExpectations) {
        self.expectations = expectations
    }

    /// Verifies a leaf certificate given as DER. Never throws: a malformed input is a failed check.
    public func verify(certificateDER: [UInt8]) -> VerificationReport {
        var report = VerificationReport()
        let certificate: Certificate
        let spkiDER: [UInt8]
        do {
            certificate = try Certificate(derEncoded: certificateDER)
            spkiDER = try CertificateFields.subjectPublicKeyInfoDER(certificateDER: certificateDER)
            report.record("certificate.parse", true, "X.509 v3, \(certificateDER.count) bytes")
        } catch {
            report.record("certificate.parse", false, "not a DER X.509 certificate: \(error)")
            return report
        }

        if let ca = expectations.caCertificateDER {
            ChainCheck.verify(certificate, issuedBy: ca, now: expectations.now, &report)
        } else {
            let selfSigned = certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
            let hint = certificate.issuer != certificate.subject
                ? " (issued by \(certificate.issuer): pass that CA's certificate, --ca-cert, to verify the chain)" : ""
            report.record("certificate.self-signature", selfSigned,
                          selfSigned ? "signed by its own key" : "signature does not verify with the certificate's key" + hint)
        }
        if let now = expectations.now {
            let valid = certificate.notValidBefore <= now && now <= certificate.notValidAfter
            report.record("certificate.validity", valid, "valid \(certificate.notValidBefore) … \(certificate.notValidAfter), now \(now)")
        }

        guard let (evidence, bytes) = checkEvidence(certificate, &report) else { return report }
        checkBinding(certificate, spkiDER: spkiDER, evidence: evidence, &report)
        if evidence.format.isHardware {
            var policy = expectations.evidencePolicy
            policy.measurements += expectations.measurements
            EvidenceVerifier(collateral: expectations.collateral, time: expectations.now ?? Date(), policy: policy)
                .verifyHardware(format: evidence.format, bytes: bytes, into: &report)
        }
        for expected in expectations.measurements where !evidence.format.isHardware {
            let found = evidence.measurements.first { $0.name == expected.name }
            report.record(
                "measurement.\(expected.name)",
                found?.value == expected.value,
                found.map { "found \(Hex.encode($0.value)), expected \(Hex.encode(expected.value))" } ?? "evidence has no \(expected.name)"
            )
        }
        ExtensionChecks.configRoot(certificate, &report)
        ExtensionChecks.expectations(certificate, expectations, &report)
        return report
    }

    /// The hardware evidence (quote or report) a certificate carries; nil for none, several,
    /// simulated evidence or a certificate that does not parse.
    public static func hardwareEvidence(certificateDER: [UInt8]) -> [UInt8]? {
        guard let certificate = try? Certificate(derEncoded: certificateDER) else { return nil }
        let found = AttestationOID.evidenceOIDs.compactMap { certificate.extensions[oid: $0] }
        guard found.count == 1, let ext = found.first,
              EvidenceParser.format(oid: ext.oid, bytes: Array(ext.value))?.isHardware == true
        else { return nil }
        return Array(ext.value)
    }

    /// Finds, classifies and parses the evidence; records kind and hardware checks.
    private func checkEvidence(_ certificate: Certificate, _ report: inout VerificationReport) -> (ParsedEvidence, [UInt8])? {
        let found = AttestationOID.evidenceOIDs.compactMap { oid in certificate.extensions[oid: oid] }
        guard found.count == 1, let ext = found.first else {
            report.record("evidence.present", false, found.isEmpty ? "no evidence extension (\(AttestationOID.evidenceOIDs.map(\.description).joined(separator: ", ")))" : "\(found.count) evidence extensions, expected exactly one")
            return nil
        }
        let bytes = Array(ext.value)
        guard let format = EvidenceParser.format(oid: ext.oid, bytes: bytes) else {
            report.record("evidence.present", false, "unrecognised evidence OID \(ext.oid)")
            return nil
        }
        report.record("evidence.present", true, "\(format.rawValue), \(bytes.count) bytes under \(ext.oid)")
        report.evidenceFormat = format

        if format.isHardware {
            report.record("evidence.hardware", true, "\(format.rawValue) evidence from TEE hardware (verified to the vendor root below)")
            report.notChecked = EvidenceVerifier.notChecked(format)
        } else {
            report.record(
                "evidence.hardware",
                expectations.allowSimulated,
                expectations.allowSimulated
                    ? "SIMULATED evidence accepted because simulated attestation is allowed — it proves nothing about the platform or code"
                    : "SIMULATED evidence (MOCK_QUOTE): no TEE attests this server; allow simulated attestation only for development"
            )
            report.notChecked = ["everything about the platform: simulated evidence is not produced by a TEE"]
        }
        if let accepted = expectations.acceptedFormats {
            let ok = accepted.contains(format)
            report.record("evidence.kind", ok, "\(format.rawValue); accepted: \(accepted.map(\.rawValue).sorted().joined(separator: ", "))")
        }

        do {
            let parsed = try EvidenceParser.parse(format: format, bytes: bytes)
            report.record("evidence.structure", true, "report data and \(parsed.measurements.count) measurement(s) read at documented offsets")
            report.measurements = parsed.measurements
            return (parsed, bytes)
        } catch {
            report.record("evidence.structure", false, "\(error)")
            return nil
        }
    }

    /// Recomputes the report data from the SPKI and the expected binding.
    private func checkBinding(_ certificate: Certificate, spkiDER: [UInt8], evidence: ParsedEvidence, _ report: inout VerificationReport) {
        let binding: ReportDataBinding
        let label: String
        switch expectations.binding {
        case .deterministic:
            binding = .notBefore(certificate.notValidBefore)
            label = "NotBefore \(ReportData.minuteTimestamp(certificate.notValidBefore))"
        case .nonce(let nonce):
            binding = .nonce(nonce)
            label = "nonce \(Hex.encode(nonce))"
        }
        let expected = ReportData(subjectPublicKeyInfoDER: spkiDER, binding: binding).bytes
        let ok = expected == evidence.reportData
        report.record(
            "report-data.binding",
            ok,
            ok ? "SHA-512(SHA-256(SPKI) ‖ \(label)) matches the evidence"
               : "evidence carries \(Hex.encode(evidence.reportData.prefix(16)))…, recomputed with \(label) gives \(Hex.encode(expected.prefix(16)))…"
        )
    }
}
