import Foundation
import SwiftASN1

/// What a client expects of the server's certificate.
public struct VerificationExpectations: Sendable {
    /// How the report data must be bound.
    public enum Binding: Sendable, Equatable {
        /// To the certificate's NotBefore (minute-truncated timestamp).
        case deterministic
        /// To this nonce, which the client sent in ClientHello extension `0xFFBB`.
        case nonce([UInt8])
    }

    /// One extension whose raw value must equal `value`.
    public struct ExtensionValue: Sendable, Equatable {
        /// The extension OID.
        public var oid: ASN1ObjectIdentifier
        /// The expected raw value.
        public var value: [UInt8]

        /// Creates an expectation.
        public init(oid: ASN1ObjectIdentifier, value: [UInt8]) {
            self.oid = oid
            self.value = value
        }

        /// Parses the CLI form `OID=HEX`, e.g. `1.3.6.1.4.1.65230.3.2=ab12…`.
        /// - Throws: ``AttestationError/invalidOID(_:)`` when the OID or the hex is malformed.
        public init(parsing text: String) throws {
            guard let eq = text.firstIndex(of: "="), let value = Hex.decode(String(text[text.index(after: eq)...])) else {
                throw AttestationError.invalidOID("\(text) (expected OID=HEX)")
            }
            self.oid = try AttestationOID.parse(String(text[..<eq]))
            self.value = value
        }
    }

    /// The expected binding.
    public var binding: Binding
    /// Accept simulated (`MOCK_QUOTE`) evidence. Off by default: simulated evidence proves nothing.
    public var allowSimulated: Bool
    /// Accepted evidence formats; nil accepts any hardware format.
    public var acceptedFormats: Set<EvidenceFormat>?
    /// Expected app code hash (extension `65230.3.2`, 32 bytes).
    public var codeHash: [UInt8]?
    /// Expected raw extension values.
    public var extensions: [ExtensionValue]
    /// Expected measurements, matched by name (e.g. `MRENCLAVE`, `MRTD`).
    public var measurements: [Measurement]
    /// The apps the client expects loaded; the combined apps hash is recomputed from them.
    public var apps: [AttestedApp]?
    /// When set, the certificate must be valid at this time (hardware evidence is always checked
    /// at this time, or at the current time when nil).
    public var now: Date?
    /// Collateral for hardware evidence (Intel PCS files or the AMD VCEK).
    public var collateral: EvidenceVerifier.Collateral
    /// What hardware evidence must satisfy: TCB statuses, debug, pinned values.
    public var evidencePolicy: EvidencePolicy
    /// The operator CA (DER) the leaf must be signed by (`--ca-cert`); nil: the leaf must sign
    /// itself. Set it with `var`; the initializer keeps its existing parameters.
    public var caCertificateDER: [UInt8]?

    /// Creates expectations; only `binding` is required.
    public init(
        binding: Binding,
        allowSimulated: Bool = false,
        acceptedFormats: Set<EvidenceFormat>? = nil,
        codeHash: [UInt8]? = nil,
        extensions: [ExtensionValue] = [],
        measurements: [Measurement] = [],
        apps: [AttestedApp]? = nil,
        now: Date? = nil,
        collateral: EvidenceVerifier.Collateral = .none,
        evidencePolicy: EvidencePolicy = EvidencePolicy()
    ) {
        self.binding = binding
        self.allowSimulated = allowSimulated
        self.acceptedFormats = acceptedFormats
        self.codeHash = codeHash
        self.extensions = extensions
        self.measurements = measurements
        self.apps = apps
        self.now = now
        self.collateral = collateral
        self.evidencePolicy = evidencePolicy
    }
}
