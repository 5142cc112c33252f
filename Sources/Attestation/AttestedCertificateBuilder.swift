import Crypto
import Foundation
import SwiftASN1
import X509

/// Builds RA-TLS leaf certificates: a fresh ECDSA P-256 key, evidence binding that
/// key (and a timestamp or nonce), and the EnclaveOS facts as non-critical
/// extensions with raw values.
///
/// Each ``build(_:mode:)`` makes a new key; nothing is cached, so the caller
/// decides when to rotate (on app load/unload, before expiry, per challenge).
public struct AttestedCertificateBuilder: Sendable {
    /// Where evidence comes from.
    public var provider: any AttestationProvider
    /// NotAfter − NotBefore. Deterministic certificates must be rebuilt before this
    /// elapses; one day keeps the attested timestamp reasonably fresh.
    public var validity: TimeInterval
    /// The operator CA that signs the leaves; nil: each leaf signs itself.
    public var issuer: CertificateIssuer?

    /// Creates a builder.
    /// - Parameters:
    ///   - provider: the attestation provider.
    ///   - validity: certificate lifetime in seconds (default one day).
    ///   - issuer: an operator CA to sign the leaves (nil: self-signed).
    public init(provider: any AttestationProvider, validity: TimeInterval = 86_400, issuer: CertificateIssuer? = nil) {
        self.provider = provider
        self.validity = validity
        self.issuer = issuer
    }

    /// Builds a certificate for `identity`, bound as `mode` says.
    /// - Throws: ``AttestationError`` for malformed facts, a bad nonce, or a provider failure.
    public func build(_ identity: CertificateIdentity, mode: BindingMode) throws -> AttestedCertificate {
        let factExtensions = try Self.factExtensions(identity)
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)

        let notBefore: Date
        let binding: ReportDataBinding
        switch mode {
        case .deterministic(let now):
            notBefore = ReportData.truncatedToMinute(now)
            binding = .notBefore(notBefore)
        case .challenge(let nonce, let now):
            try ReportData.validateNonce(nonce)
            // X.509 times have whole seconds; drop the fraction so the encoded
            // NotBefore is exactly the Date we used.
            notBefore = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
            binding = .nonce(nonce)
        }

        let spkiDER: [UInt8]
        do {
            spkiDER = try Self.derBytes(publicKey)
        } catch {
            throw AttestationError.certificateEncoding("SubjectPublicKeyInfo: \(error)")
        }
        let reportData = ReportData(subjectPublicKeyInfoDER: spkiDER, binding: binding)
        let evidence = try provider.evidence(reportData: reportData.bytes)
        guard evidence.format.isHardware == provider.isHardware else {
            // A provider must not label simulated bytes as hardware or the reverse.
            throw AttestationError.certificateEncoding("provider \(provider.kind.rawValue) returned \(evidence.format.rawValue) evidence")
        }

        do {
            var extensions = try Certificate.Extensions([
                Certificate.Extension(BasicConstraints.notCertificateAuthority, critical: true),
                Certificate.Extension(KeyUsage(digitalSignature: true), critical: true),
                Certificate.Extension(try ExtendedKeyUsage([.serverAuth]), critical: false),
            ])
            let names = Self.hostnames(identity)
            if !names.isEmpty {
                try extensions.append(Certificate.Extension(SubjectAlternativeNames(names.map { .dnsName($0) }), critical: false))
            }
            try extensions.append(Certificate.Extension(oid: evidence.oid, critical: false, value: evidence.bytes[...]))
            for ext in factExtensions { try extensions.append(ext) }

            let subject = try DistinguishedName {
                OrganizationName(provider.isHardware ? "EnclaveOS" : "EnclaveOS SIMULATED attestation (no TEE)")
                CommonName(Self.commonName(identity))
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: notBefore,
                notValidAfter: notBefore.addingTimeInterval(validity),
                issuer: issuer?.certificate.subject ?? subject,
                subject: subject,
                signatureAlgorithm: issuer?.signatureAlgorithm ?? .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: issuer?.privateKey ?? Certificate.PrivateKey(key)
            )
            let der = try Self.derBytes(certificate)
            let pem = try certificate.serializeAsPEM().pemString
            return AttestedCertificate(
                certificate: certificate,
                privateKey: key,
                certificateDER: der,
                certificatePEM: pem,
                reportData: reportData,
                evidence: evidence,
                chainDER: issuer.map { [$0.certificateDER] } ?? []
            )
        } catch let error as AttestationError {
            throw error
        } catch {
            throw AttestationError.certificateEncoding("\(error)")
        }
    }

    /// The fact extensions for `identity`, after validating their inputs.
    static func factExtensions(_ identity: CertificateIdentity) throws -> [Certificate.Extension] {
        func raw(_ oid: ASN1ObjectIdentifier, _ value: [UInt8]) -> Certificate.Extension {
            Certificate.Extension(oid: oid, critical: false, value: value[...])
        }
        switch identity {
        case .server(let facts):
            try requireHash(facts.egressCABundleHash, field: "egress CA bundle hash")
            for name in facts.hostnames { try validateHostname(name) }
            // No app: no apps hash at all (the original's verifiers read its presence as "apps
            // loaded"), and the root's apps leaf is empty.
            let appsHash = facts.apps.isEmpty ? nil : try AppsHash.compute(facts.apps)
            let root = ConfigRoot.server(egressCABundleHash: facts.egressCABundleHash, appsHash: appsHash ?? [])
            var extensions = [
                raw(AttestationOID.configRoot, root.digest),
                raw(AttestationOID.egressCABundleHash, facts.egressCABundleHash),
            ]
            if let appsHash {
                extensions.append(raw(AttestationOID.appsHash, appsHash))
                extensions.append(raw(AttestationOID.appsHashAlias, appsHash))
            }
            return extensions
        case .app(let facts):
            try requireHash(facts.egressCABundleHash, field: "egress CA bundle hash")
            try requireHash(facts.codeHash, field: "code hash")
            try validateHostname(facts.hostname)
            let root = ConfigRoot.app(
                hostname: facts.hostname,
                codeHash: facts.codeHash,
                keySource: facts.keySource,
                egressCABundleHash: facts.egressCABundleHash
            )
            return [
                raw(AttestationOID.appConfigRoot, AppIdentityRoot.digest(codeHash: facts.codeHash, keySource: facts.keySource)),
                raw(AttestationOID.appLabelledConfigRoot, root.digest),
                raw(AttestationOID.appCodeHash, facts.codeHash),
                raw(AttestationOID.appKeySource, Array(facts.keySource.utf8)),
                raw(AttestationOID.egressCABundleHash, facts.egressCABundleHash),
            ] + (try facts.appExtensions.sorted { $0.key < $1.key }.map { raw(try AttestationOID.appExtension($0.key), $0.value) })
        }
    }

    static func derBytes<Element: DERSerializable>(_ element: Element) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(element)
        return serializer.serializedBytes
    }

    static func hostnames(_ identity: CertificateIdentity) -> [String] {
        switch identity {
        case .server(let facts): return facts.hostnames
        case .app(let facts): return [facts.hostname]
        }
    }

    static func commonName(_ identity: CertificateIdentity) -> String {
        switch identity {
        case .server: return "EnclaveOS server"
        case .app(let facts): return facts.hostname
        }
    }

    static func requireHash(_ hash: [UInt8], field: String) throws {
        guard hash.count == 32 else { throw AttestationError.invalidHashLength(field: field, length: hash.count) }
    }

    /// DNS names in a SAN are IA5String; `HostnameRule` says which names qualify.
    static func validateHostname(_ name: String) throws {
        guard HostnameRule.problem(with: name) == nil else { throw AttestationError.invalidHostname(name) }
    }
}
