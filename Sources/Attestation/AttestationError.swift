/// Errors from providers, certificate building and evidence parsing.
///
/// Each case's ``description`` says what went wrong and what to do about it.
public enum AttestationError: Error, Equatable, CustomStringConvertible {
    /// Report data must be exactly 64 bytes (the size of SGX/TDX/SNP REPORTDATA).
    case invalidReportDataLength(Int)
    /// A challenge nonce was empty or longer than ``ReportData/maxNonceLength``.
    case invalidNonceLength(Int)
    /// A device file of a hardware provider could not be read or written.
    case deviceIO(path: String, reason: String)
    /// The device answered with something that is not usable evidence.
    case invalidDeviceOutput(path: String, reason: String)
    /// configfs-tsm names a provider we do not know how to label.
    case unknownTSMProvider(String)
    /// configfs-tsm's `generation` changed by more than our own write: another process raced us.
    case tsmGenerationMismatch(expected: UInt64, found: UInt64)
    /// An attestation kind name (e.g. from `--attestation`) is not one we support.
    case unknownProviderName(String)
    /// A dotted OID string could not be parsed.
    case invalidOID(String)
    /// A hash supplied to the certificate builder is not 32 bytes.
    case invalidHashLength(field: String, length: Int)
    /// A hostname cannot be placed in a DNS subjectAltName.
    case invalidHostname(String)
    /// Two apps share a name, so the combined apps hash would be ambiguous.
    case duplicateAppName(String)
    /// The certificate could not be built or serialised.
    case certificateEncoding(String)
    /// The operator CA given to sign the leaves is unusable.
    case invalidIssuer(String)

    /// A message naming the problem and the fix.
    public var description: String {
        switch self {
        case .invalidReportDataLength(let n):
            return "report data must be exactly 64 bytes, got \(n)"
        case .invalidNonceLength(let n):
            return "challenge nonce must be 1...\(ReportData.maxNonceLength) bytes, got \(n)"
        case .deviceIO(let path, let reason):
            return "attestation device \(path): \(reason) — is this process running inside the TEE, with the device mounted?"
        case .invalidDeviceOutput(let path, let reason):
            return "attestation device \(path) returned unusable evidence: \(reason)"
        case .unknownTSMProvider(let name):
            return "configfs-tsm provider '\(name)' is not supported (expected tdx_guest or sev_guest)"
        case .tsmGenerationMismatch(let expected, let found):
            return "configfs-tsm generation is \(found), expected \(expected): another process wrote the same report entry; retry"
        case .unknownProviderName(let name):
            return "unknown attestation provider '\(name)' (expected one of: \(AttestationKind.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .invalidOID(let text):
            return "'\(text)' is not a dotted OID such as 1.3.6.1.4.1.65230.3.2"
        case .invalidHashLength(let field, let length):
            return "\(field) must be a 32-byte SHA-256 digest, got \(length) bytes"
        case .invalidHostname(let name):
            return "hostname '\(name)' is not a valid DNS name (ASCII letters, digits, '-', '.', 1...253 characters)"
        case .duplicateAppName(let name):
            return "app name '\(name)' appears twice in the apps list"
        case .certificateEncoding(let reason):
            return "could not build the attested certificate: \(reason)"
        case .invalidIssuer(let reason):
            return "operator CA: \(reason)"
        }
    }
}
