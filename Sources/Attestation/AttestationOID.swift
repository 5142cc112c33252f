import SwiftASN1

/// Every certificate-extension OID EnclaveOS uses, defined once.
///
/// All extensions are non-critical and carry their value *raw* in the extension's
/// `extnValue` OCTET STRING (no inner DER wrapping), so any X.509 library can read
/// them as plain bytes. `docs/attestation.md` documents each value's layout.
public enum AttestationOID {
    /// Intel SGX DCAP quote (the OID Gramine's RA-TLS and Intel's tooling use).
    /// Simulated evidence also goes here, as `MOCK_QUOTE:` ‖ report data, which
    /// existing SGX verifiers reject because it does not parse as a quote.
    public static let sgxQuote: ASN1ObjectIdentifier = [1, 2, 840, 113741, 1, 13, 1, 0]
    /// Intel TDX quote (the OID of Intel's TDX RA-TLS).
    public static let tdxQuote: ASN1ObjectIdentifier = [1, 2, 840, 113741, 1, 5, 5, 1, 6]
    /// AMD SEV-SNP attestation report (raw configfs-tsm `outblob`).
    /// No vendor OID exists for SNP evidence in a certificate, so this is an
    /// EnclaveOS-defined OID under our own arc (`65230.4` = evidence formats).
    public static let sevSnpReport: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 65230, 4, 1]

    /// Server config root: SHA-256 over the server's labelled leaves (see ``ConfigRoot``).
    public static let configRoot: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 65230, 1, 1]
    /// SHA-256 of the egress CA bundle as loaded at start (32 raw bytes).
    public static let egressCABundleHash: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 65230, 2, 1]
    /// Combined apps hash (32 raw bytes, see ``AppsHash``); absent while no app is loaded.
    public static let appsHash: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 65230, 2, 3]
    /// The same combined apps hash under the OID the original's clients read since 2026-03-06;
    /// present exactly when ``appsHash`` is, with the same value.
    public static let appsHashAlias: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 65230, 2, 5]

    /// Per-app config root in the original's formula, so its verifiers accept our per-app
    /// certificates: `SHA-256(SHA-256(code hash) ‖ SHA-256(key source))` (see ``AppIdentityRoot``).
    public static let appConfigRoot: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 65230, 3, 1]
    /// EnclaveOS's own per-app config root: SHA-256 over the app's labelled leaves, which also
    /// commit to the hostname and the egress trust (see ``ConfigRoot``). Under `65230.99`, the
    /// sub-arc EnclaveOS uses for extensions the original does not define.
    public static let appLabelledConfigRoot: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 65230, 99, 3, 1]
    /// The app's code hash: SHA-256 of the component bytes as uploaded (32 raw bytes).
    public static let appCodeHash: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 65230, 3, 2]
    /// The app's key source, UTF-8: `generated` or `byok:<hex sha256 of key>`.
    public static let appKeySource: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 65230, 3, 4]

    /// The arc under which an app's own extensions go (`set-attestation-extension`): the app's
    /// value for arc suffix `n` is served raw under `1.3.6.1.4.1.65230.3.5.n`.
    public static let appExtensionArc: [UInt] = [1, 3, 6, 1, 4, 1, 65230, 3, 5]

    /// The OID of an app's own extension with arc suffix `suffix`.
    public static func appExtension(_ suffix: UInt32) throws -> ASN1ObjectIdentifier {
        try ASN1ObjectIdentifier(elements: appExtensionArc + [UInt(suffix)])
    }

    /// The OIDs that may carry evidence; a certificate must carry exactly one of them.
    public static let evidenceOIDs: [ASN1ObjectIdentifier] = [sgxQuote, tdxQuote, sevSnpReport]

    /// Parses dotted-decimal text such as `1.3.6.1.4.1.65230.3.2`.
    /// - Throws: ``AttestationError/invalidOID(_:)`` when the text is not a valid OID.
    public static func parse(_ dotted: String) throws -> ASN1ObjectIdentifier {
        do {
            return try ASN1ObjectIdentifier(dotRepresentation: dotted)
        } catch {
            throw AttestationError.invalidOID(dotted)
        }
    }
}
