import Attestation
import Foundation
import NIOCore
import NIOSSL

/// The attested identity nodes show each other on the cluster port, and the policy a peer's
/// identity must meet before the cluster key moves between them.
///
/// Each side presents a fresh RA-TLS certificate (its own P-256 key, evidence binding that key,
/// deterministic binding) in a mutual TLS 1.3 handshake, and checks the other's with
/// `AttestationVerifier`: evidence present and bound to the certificate's key, of this node's own
/// evidence format, simulated evidence only when this node is itself simulated, valid now, and a
/// primary measurement equal to this node's own (or one the operator allowed). Replaying a peer's
/// certificate does not help an attacker: the handshake proves possession of its private key,
/// which never leaves the peer's enclave.
///
/// What this does not verify is what `AttestationVerifier` does not: hardware evidence
/// signatures and their chains (see docs/attestation.md). Simulated evidence proves nothing, and
/// every simulated exchange is logged as such.
struct ClusterAttestation: Sendable {
    /// Subject name of cluster certificates (never an app's hostname).
    static let hostname = "enclave-os-cluster"
    /// Lifetime of a cluster certificate; the listener renews its own well before.
    static let validity: TimeInterval = 3_600

    let provider: any AttestationProvider
    let egressCABundleHash: [UInt8]
    let allowedMeasurements: [[UInt8]]

    /// A fresh attested certificate for the cluster port.
    func certificate(now: Date = Date()) throws -> AttestedCertificate {
        let builder = AttestedCertificateBuilder(provider: provider, validity: Self.validity)
        let facts = ServerFacts(egressCABundleHash: egressCABundleHash, apps: [], hostnames: [Self.hostname])
        return try builder.build(.server(facts), mode: .deterministic(now: now))
    }

    /// This node's own evidence format and primary measurement (nil for simulated evidence).
    func ownIdentity() throws -> (format: EvidenceFormat, measurement: [UInt8]?) {
        let own = try certificate()
        let parsed = try EvidenceParser.parse(format: own.evidence.format, bytes: own.evidence.bytes)
        return (own.evidence.format, parsed.measurements.first?.value)
    }

    /// Checks a peer's leaf certificate; the report names every check.
    func verify(peerCertificateDER der: [UInt8]) -> (accepted: Bool, summary: String) {
        let own: (format: EvidenceFormat, measurement: [UInt8]?)
        do {
            own = try ownIdentity()
        } catch {
            return (false, "this node cannot produce its own evidence to compare with: \(error)")
        }
        let expectations = VerificationExpectations(binding: .deterministic, allowSimulated: !provider.isHardware,
                                                    acceptedFormats: [own.format], now: Date())
        let report = AttestationVerifier(expectations: expectations).verify(certificateDER: der)
        guard report.passed else {
            return (false, "peer evidence rejected: " + report.failures.map { "\($0.name): \($0.detail)" }.joined(separator: "; "))
        }
        guard let ownMeasurement = own.measurement else {
            return (true, "peer accepted on SIMULATED evidence (MOCK_QUOTE): it proves nothing about the peer's code or platform")
        }
        guard let peerMeasurement = report.measurements.first?.value else {
            return (false, "peer evidence carries no measurement")
        }
        let allowed = [ownMeasurement] + allowedMeasurements
        guard allowed.contains(peerMeasurement) else {
            return (false, "peer measurement \(Hex.encode(peerMeasurement)) is neither this node's "
                + "\(Hex.encode(ownMeasurement)) nor one allowed with --cluster-allow-measurement")
        }
        return (true, "peer accepted: \(report.evidenceFormat?.rawValue ?? "?") evidence, measurement \(Hex.encode(peerMeasurement)) "
            + "(evidence signature not verified; see docs/attestation.md)")
    }

    /// TLS 1.3 settings presenting `certificate`, asking the peer for its certificate; the
    /// handshake is judged by `verificationCallback`, not by a CA.
    static func tlsConfiguration(_ certificate: AttestedCertificate, server: Bool) throws -> TLSConfiguration {
        let chain = [NIOSSLCertificateSource.certificate(try NIOSSLCertificate(bytes: certificate.certificateDER, format: .der))]
        let key = NIOSSLPrivateKeySource.privateKey(try NIOSSLPrivateKey(bytes: certificate.privateKeyDER, format: .der))
        var configuration = server
            ? TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: key)
            : TLSConfiguration.makeClientConfiguration()
        if !server {
            configuration.certificateChain = chain
            configuration.privateKey = key
        }
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateVerification = .noHostnameVerification
        return configuration
    }

    /// A NIOSSL verification callback that accepts the handshake only if the peer's leaf passes
    /// `verify`, run off the event loop (evidence checks cost a fraction of a millisecond).
    /// `@Sendable`: the client hands it to a channel initializer, which may run on any event loop.
    func verificationCallback(log: @escaping @Sendable (String) -> Void, peer: String)
        -> @Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResult>) -> Void {
        { certificates, promise in
            guard let leaf = certificates.first, let der = try? leaf.toDERBytes() else {
                log("cluster: \(peer) presented no certificate")
                promise.succeed(.failed)
                return
            }
            DispatchQueue.global().async {
                let (accepted, summary) = self.verify(peerCertificateDER: der)
                log("cluster: \(peer): \(summary)")
                promise.succeed(accepted ? .certificateVerified : .failed)
            }
        }
    }
}
