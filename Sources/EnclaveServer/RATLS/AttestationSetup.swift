import Attestation
import Crypto
import Egress
import Foundation

/// Start-up choices for RA-TLS, turned into a ``RATLSIdentity``: which attestation backend,
/// which egress CA bundle. Lets the `enclave-os` command configure attestation without
/// depending on the `Attestation` module itself.
public struct AttestationSetup: Sendable {
    /// The `--attestation` names (`simulated`, `gramine-sgx`, `tsm`).
    public static var providerNames: [String] { AttestationKind.allCases.map(\.rawValue) }

    /// `--attestation`: a provider name, or nil to detect (Gramine, then configfs-tsm, else simulated).
    public var providerName: String?
    /// The trust anchors apps' HTTPS egress actually uses (`--egress-ca-bundle`, else the
    /// system's Mozilla bundle), as loaded once by `HTTPSEgress`: its SHA-256 goes into every
    /// certificate (`65230.2.1`), so what is attested is exactly what is trusted. Nil (no egress
    /// anchors at all) attests the empty bundle, SHA-256 of zero bytes.
    public var egressTrust: EgressTrustBundle?
    /// DNS names of the default certificate.
    public var hostnames: [String]
    /// `--ca-cert` / `--ca-key`: PEM files of an operator CA that signs the leaves; nil: self-signed.
    public var operatorCA: (certificateFile: String, keyFile: String)?

    /// Creates the choices; every argument optional.
    public init(providerName: String? = nil, egressTrust: EgressTrustBundle? = nil, hostnames: [String] = ["localhost"]) {
        self.providerName = providerName
        self.egressTrust = egressTrust
        self.hostnames = hostnames
    }

    /// Failures at start-up, naming the option to fix.
    public enum SetupError: Error, CustomStringConvertible {
        /// `--attestation` named no provider.
        case unknownProvider(String)

        public var description: String {
            switch self {
            case .unknownProvider(let name):
                return "--attestation '\(name)' is not one of \(AttestationSetup.providerNames.joined(separator: ", "))"
            }
        }
    }

    /// The SHA-256 attested as the egress CA bundle hash.
    public var egressCABundleHash: [UInt8] {
        egressTrust?.sha256 ?? Array(SHA256.hash(data: [UInt8]()))
    }

    /// Chooses the provider, logs loudly which one and why, and issues the first certificates.
    /// - Parameters:
    ///   - registry: the registry the server will use (its loads and unloads rotate certificates).
    ///   - log: where the start-up and rotation lines go.
    /// - Throws: ``SetupError``, or ``RATLSIdentity/IdentityFailure`` when the first
    ///   certificate cannot be issued (e.g. `--attestation gramine-sgx` outside Gramine).
    public func makeIdentity(registry: AppRegistry, log: @escaping @Sendable (String) -> Void) throws -> RATLSIdentity {
        let provider: any AttestationProvider
        if let name = providerName {
            guard let chosen = try? ProviderDetection.provider(named: name) else { throw SetupError.unknownProvider(name) }
            provider = chosen
            log("attestation: \(name) (chosen with --attestation)")
        } else {
            let detected = ProviderDetection.detect()
            provider = detected.provider
            log(String(repeating: "!", count: 78))
            log(detected.reason)
            log(String(repeating: "!", count: 78))
        }
        if !provider.isHardware {
            log("attestation: SIMULATED — certificates carry MOCK_QUOTE evidence: NOT hardware attestation; "
                + "verifiers reject it unless told to allow simulated attestation")
        }
        let issuer = try operatorCA.map { try CertificateIssuer(certificateFile: $0.certificateFile, keyFile: $0.keyFile) }
        let bundleHash = egressCABundleHash
        log("attestation: egress CA bundle \(egressTrust?.path ?? "(none: empty bundle, egress has no trust anchors)") sha256 \(Attestation.Hex.encode(bundleHash))")
        if let issuer {
            log("attestation: leaves signed by the operator CA \(issuer.certificate.subject); served as [leaf, CA]")
        }
        return try RATLSIdentity(provider: provider, egressCABundleHash: bundleHash, registry: registry, hostnames: hostnames,
                                 issuer: issuer, log: log)
    }
}
