import Attestation
import Crypto
import Foundation

/// Start-up choices for RA-TLS, turned into a ``RATLSIdentity``: which attestation backend,
/// which egress CA bundle. Lets the `enclave-os` command configure attestation without
/// depending on the `Attestation` module itself.
public struct AttestationSetup: Sendable {
    /// The `--attestation` names (`simulated`, `gramine-sgx`, `tsm`).
    public static var providerNames: [String] { AttestationKind.allCases.map(\.rawValue) }

    /// `--attestation`: a provider name, or nil to detect (Gramine, then configfs-tsm, else simulated).
    public var providerName: String?
    /// `--egress-ca-bundle`: the PEM trust bundle for apps' HTTPS egress. It is read once, here,
    /// and its SHA-256 goes into every certificate (`65230.2.1`); nil attests the empty bundle
    /// (SHA-256 of zero bytes: no egress trust roots).
    public var egressCABundlePath: String?
    /// DNS names of the default certificate.
    public var hostnames: [String]

    /// Creates the choices; every argument optional.
    public init(providerName: String? = nil, egressCABundlePath: String? = nil, hostnames: [String] = ["localhost"]) {
        self.providerName = providerName
        self.egressCABundlePath = egressCABundlePath
        self.hostnames = hostnames
    }

    /// Failures at start-up, naming the option to fix.
    public enum SetupError: Error, CustomStringConvertible {
        /// `--attestation` named no provider.
        case unknownProvider(String)
        /// The egress CA bundle could not be read.
        case unreadableBundle(path: String, reason: String)

        public var description: String {
            switch self {
            case .unknownProvider(let name):
                return "--attestation '\(name)' is not one of \(AttestationSetup.providerNames.joined(separator: ", "))"
            case .unreadableBundle(let path, let reason):
                return "--egress-ca-bundle \(path) cannot be read: \(reason)"
            }
        }
    }

    /// The SHA-256 of the egress bundle as loaded (the exact bytes of the file).
    /// - Throws: ``SetupError/unreadableBundle(path:reason:)``.
    public func egressCABundleHash() throws -> [UInt8] {
        guard let path = egressCABundlePath else { return Array(SHA256.hash(data: [UInt8]())) }
        do {
            return Array(SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))))
        } catch {
            throw SetupError.unreadableBundle(path: path, reason: "\(error.localizedDescription)")
        }
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
        let bundleHash = try egressCABundleHash()
        log("attestation: egress CA bundle \(egressCABundlePath ?? "(none: empty bundle)") sha256 \(Attestation.Hex.encode(bundleHash))")
        return try RATLSIdentity(provider: provider, egressCABundleHash: bundleHash, registry: registry, hostnames: hostnames, log: log)
    }
}
