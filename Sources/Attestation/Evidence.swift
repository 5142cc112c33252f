import SwiftASN1

/// Which attestation backend produced evidence (the `--attestation` names).
public enum AttestationKind: String, Sendable, CaseIterable {
    /// No TEE: evidence is `MOCK_QUOTE:` ‖ report data and proves nothing.
    case simulated
    /// Intel SGX through Gramine's `/dev/attestation` pseudo-files.
    case gramineSGX = "gramine-sgx"
    /// Intel TDX or AMD SEV-SNP through Linux configfs-tsm.
    case tsm
}

/// The layout of evidence bytes, which decides the extension OID and how the
/// verifier finds the report data inside.
public enum EvidenceFormat: String, Sendable, CaseIterable {
    /// ASCII `MOCK_QUOTE:` followed by the 64-byte report data. Not hardware evidence.
    case simulated
    /// Intel SGX DCAP quote (version 3).
    case sgxQuote = "sgx-quote"
    /// Intel TDX quote (version 4 or 5).
    case tdxQuote = "tdx-quote"
    /// AMD SEV-SNP attestation report (1184 bytes or more).
    case sevSnpReport = "sev-snp-report"

    /// The certificate extension this format is carried under. Simulated evidence
    /// shares the SGX quote OID on purpose (compat with the original's mock builds):
    /// it never parses as a quote, so SGX verifiers reject it.
    public var oid: ASN1ObjectIdentifier {
        switch self {
        case .simulated, .sgxQuote: return AttestationOID.sgxQuote
        case .tdxQuote: return AttestationOID.tdxQuote
        case .sevSnpReport: return AttestationOID.sevSnpReport
        }
    }

    /// Whether this format is produced by TEE hardware (false only for simulated).
    public var isHardware: Bool { self != .simulated }
}

/// Attestation evidence bound to 64 bytes of report data, ready to embed.
public struct Evidence: Sendable, Equatable {
    /// How ``bytes`` are laid out.
    public var format: EvidenceFormat
    /// The raw evidence (quote, report, or mock), embedded unchanged in the certificate.
    public var bytes: [UInt8]

    /// Wraps evidence bytes of a known format.
    public init(format: EvidenceFormat, bytes: [UInt8]) {
        self.format = format
        self.bytes = bytes
    }

    /// The certificate extension OID this evidence goes under.
    public var oid: ASN1ObjectIdentifier { format.oid }
}
