import SwiftASN1
import X509

/// Checks over the EnclaveOS fact extensions: config-root consistency and the
/// client's expected values.
enum ExtensionChecks {
    static func value(_ certificate: Certificate, _ oid: ASN1ObjectIdentifier) -> [UInt8]? {
        certificate.extensions[oid: oid].map { Array($0.value) }
    }

    /// Recomputes the server or per-app config roots from the certificate's own extensions.
    static func configRoot(_ certificate: Certificate, _ report: inout VerificationReport) {
        let name = "config-root.consistency"
        if let root = value(certificate, AttestationOID.configRoot) {
            guard let egress = value(certificate, AttestationOID.egressCABundleHash) else {
                report.record(name, false, "server config root present but egress bundle hash extension missing")
                return
            }
            let apps = value(certificate, AttestationOID.appsHash)
            guard apps == value(certificate, AttestationOID.appsHashAlias) else {
                report.record(name, false, "apps hash \(AttestationOID.appsHash) and \(AttestationOID.appsHashAlias) differ (or only one is present)")
                return
            }
            let recomputed = ConfigRoot.server(egressCABundleHash: egress, appsHash: apps ?? []).digest
            report.record(name, recomputed == root, "server root \(Hex.encode(root)) \(recomputed == root ? "=" : "≠") recomputed \(Hex.encode(recomputed))")
        } else if let root = value(certificate, AttestationOID.appConfigRoot) {
            let hostnames = dnsNames(certificate)
            guard let code = value(certificate, AttestationOID.appCodeHash),
                  let keySourceBytes = value(certificate, AttestationOID.appKeySource),
                  let egress = value(certificate, AttestationOID.egressCABundleHash),
                  let labelled = value(certificate, AttestationOID.appLabelledConfigRoot),
                  hostnames.count == 1, let hostname = hostnames.first
            else {
                report.record(name, false, "app config root present but code hash, key source, egress hash, labelled root or the single DNS name is missing")
                return
            }
            let keySource = String(decoding: keySourceBytes, as: UTF8.self)
            let identity = AppIdentityRoot.digest(codeHash: code, keySource: keySource)
            let recomputed = ConfigRoot.app(hostname: hostname, codeHash: code, keySource: keySource, egressCABundleHash: egress).digest
            let ok = identity == root && recomputed == labelled
            report.record(name, ok, "app root \(Hex.encode(root)) \(identity == root ? "=" : "≠") recomputed \(Hex.encode(identity)); "
                + "labelled root \(Hex.encode(labelled)) \(recomputed == labelled ? "=" : "≠") recomputed \(Hex.encode(recomputed))")
        } else {
            report.record(name, false, "no config root extension (\(AttestationOID.configRoot) or \(AttestationOID.appConfigRoot))")
        }
    }

    /// Compares code hash, apps list and arbitrary extensions with what the client expects.
    static func expectations(_ certificate: Certificate, _ expectations: VerificationExpectations, _ report: inout VerificationReport) {
        if let expected = expectations.codeHash {
            compare("code-hash", value(certificate, AttestationOID.appCodeHash), expected, AttestationOID.appCodeHash, &report)
        }
        if let apps = expectations.apps {
            do {
                if apps.isEmpty {
                    let found = value(certificate, AttestationOID.appsHash)
                    report.record("apps-hash", found == nil, found.map { "no app expected, found apps hash \(Hex.encode($0))" } ?? "no apps hash: no app loaded")
                } else {
                    let expected = try AppsHash.compute(apps)
                    compare("apps-hash", value(certificate, AttestationOID.appsHash), expected, AttestationOID.appsHash, &report)
                }
            } catch {
                report.record("apps-hash", false, "expected apps list is invalid: \(error)")
            }
        }
        for expected in expectations.extensions {
            compare("extension \(expected.oid)", value(certificate, expected.oid), expected.value, expected.oid, &report)
        }
    }

    private static func compare(_ name: String, _ found: [UInt8]?, _ expected: [UInt8], _ oid: ASN1ObjectIdentifier, _ report: inout VerificationReport) {
        guard let found else {
            report.record(name, false, "extension \(oid) missing, expected \(Hex.encode(expected))")
            return
        }
        report.record(name, found == expected, found == expected ? "\(Hex.encode(found))" : "found \(Hex.encode(found)), expected \(Hex.encode(expected))")
    }

    static func dnsNames(_ certificate: Certificate) -> [String] {
        guard let san = try? certificate.extensions.subjectAlternativeNames else { return [] }
        return san.compactMap { if case .dnsName(let name) = $0 { return name } else { return nil } }
    }
}
