import Crypto
import Foundation
import SwiftASN1

/// The AMD collateral of one chip and TCB, from a `--collateral DIR` directory: `vcek.der` (the
/// VCEK from AMD KDS for the report's CHIP_ID and REPORTED_TCB) and optionally `ask-ark.pem`
/// (the KDS `cert_chain`, ASK then ARK); without it the pinned ASK of the VCEK's product is used.
public struct AMDCollateral: Sendable {
    /// A VCEK is about 1.4 KB and the chain 5 KB; larger files are refused.
    static let maxFileSize = 64 * 1024
    let vcek: [UInt8]
    let askArk: [UInt8]?

    /// Reads the files. - Throws: ``EvidenceLayoutError`` when `vcek.der` is missing.
    public init(directory: String) throws {
        let vcekPath = directory + "/vcek.der", chainPath = directory + "/ask-ark.pem"
        guard FileManager.default.fileExists(atPath: vcekPath) else {
            throw EvidenceLayoutError("collateral directory \(directory) lacks vcek.der (the VCEK from AMD KDS for this chip and TCB)")
        }
        vcek = try CollateralFile.read(vcekPath, limit: Self.maxFileSize)
        askArk = FileManager.default.fileExists(atPath: chainPath) ? try CollateralFile.read(chainPath, limit: Self.maxFileSize) : nil
    }
}

/// VCEK → ASK → ARK, every link RSASSA-PSS, the ARK pinned.
public enum AMDChain {
    /// Checks the chain's signatures (not its validity dates).
    /// - Returns: the problem (nil when valid), the VCEK and the product line its issuer names.
    public static func verify(vcek vcekDER: [UInt8], askArkPEM: [UInt8]?) -> (problem: String?, product: AMDProduct?) {
        let (problem, _, product) = check(vcekDER, askArkPEM)
        return (problem, product)
    }

    static func check(_ vcekDER: [UInt8], _ askArkPEM: [UInt8]?) -> (String?, [AMDCertificate], AMDProduct?) {
        let vcek: AMDCertificate
        do {
            vcek = try AMDCertificate(derEncoded: vcekDER)
        } catch {
            return ("VCEK does not parse: \(error)", [], nil)
        }
        let pinned = AMDProduct.allCases.compactMap { product in
            (try? AMDCertificate(derEncoded: VendorRoots.amd(product).ask)).map { (product, $0) }
        }
        let product = pinned.first { $0.1.subject == vcek.issuer }?.0
        let ask: AMDCertificate, ark: AMDCertificate
        do {
            if let askArkPEM {
                let text = String(decoding: askArkPEM, as: UTF8.self).replacingOccurrences(of: "\r", with: "")
                let blocks = try PEMDocument.parseMultiple(pemString: text).filter { $0.discriminator == "CERTIFICATE" }
                guard blocks.count == 2 else { return ("ask-ark.pem holds \(blocks.count) certificates, expected the ASK then the ARK", [vcek], product) }
                (ask, ark) = (try AMDCertificate(derEncoded: blocks[0].derBytes), try AMDCertificate(derEncoded: blocks[1].derBytes))
            } else {
                guard let product else { return ("VCEK issuer \(vcek.issuer) names no known product line (Milan, Genoa, Turin)", [vcek], nil) }
                (ask, ark) = (try AMDCertificate(derEncoded: VendorRoots.amd(product).ask), try AMDCertificate(derEncoded: VendorRoots.amd(product).ark))
            }
        } catch {
            return ("ASK/ARK does not parse: \(error)", [vcek], product)
        }
        guard AMDProduct.allCases.contains(where: { VendorRoots.amd($0).ark == ark.der }) else {
            return ("ARK \(ark.name) is not a pinned AMD root (Milan, Genoa, Turin)", [vcek, ask, ark], product)
        }
        for (certificate, issuer) in [(ark, ark), (ask, ark), (vcek, ask)] {
            if let problem = certificate.problemVerifying(by: issuer) { return (problem, [vcek, ask, ark], product) }
        }
        return (nil, [vcek, ask, ark], product)
    }
}

/// Checks an SEV-SNP report with its VCEK at a fixed time (same names as the Python verifier).
struct SNPVerifier {
    static let tcbOIDs: [String: ASN1ObjectIdentifier] = [
        "blSPL": [1, 3, 6, 1, 4, 1, 3704, 1, 3, 1], "teeSPL": [1, 3, 6, 1, 4, 1, 3704, 1, 3, 2],
        "snpSPL": [1, 3, 6, 1, 4, 1, 3704, 1, 3, 3], "ucodeSPL": [1, 3, 6, 1, 4, 1, 3704, 1, 3, 8],
        "fmcSPL": [1, 3, 6, 1, 4, 1, 3704, 1, 3, 9],
    ]
    static let hwID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 3704, 1, 4]

    let collateral: AMDCollateral?
    let time: Date
    let policy: EvidencePolicy

    /// Which byte of TCB_VERSION holds which SPL (SEV-SNP ABI spec; Turin moved them).
    static func tcbLayout(_ product: AMDProduct) -> [(String, Int)] {
        switch product {
        case .milan, .genoa: return [("blSPL", 0), ("teeSPL", 1), ("snpSPL", 6), ("ucodeSPL", 7)]
        case .turin: return [("fmcSPL", 0), ("blSPL", 1), ("teeSPL", 2), ("snpSPL", 3), ("ucodeSPL", 7)]
        }
    }

    func verify(_ bytes: [UInt8], into report: inout VerificationReport) -> SNPReport? {
        let snp: SNPReport
        do {
            snp = try SNPReport(parsing: bytes)
        } catch {
            report.record("report.structure", false, "\(error)")
            return nil
        }
        let trailing = snp.trailing > 0 ? "; \(snp.trailing) trailing bytes ignored (not signed)" : ""
        report.record("report.structure", true, "SEV-SNP report v\(snp.version), \(SNPReport.signedLength) bytes signed\(trailing)")
        report.measurements = MeasuredValues.snp(snp.bytes)
        if let collateral {
            checkVCEK(snp, collateral, &report)
        } else {
            report.record("collateral.present", false, "no VCEK: the report's signature needs --collateral DIR with vcek.der (AMD KDS)")
        }
        let debug = snp.policy & SNPReport.policyDebugBit != 0
        let verdict = !debug ? "debugging not allowed"
            : policy.allowDebug ? "DEBUG allowed, accepted by policy" : "DEBUG allowed: the host can read guest memory; refused"
        report.record("evidence.debug", !debug || policy.allowDebug, "guest policy 0x\(String(snp.policy, radix: 16)): \(verdict)")
        return snp
    }

    private func checkVCEK(_ snp: SNPReport, _ collateral: AMDCollateral, _ report: inout VerificationReport) {
        let (problem, chain, product) = AMDChain.check(collateral.vcek, collateral.askArk)
        report.record("amd.chain", problem == nil, problem ?? "VCEK ← SEV-\(product?.rawValue ?? "?") ← pinned ARK-\(product?.rawValue ?? "?") (RSASSA-PSS SHA-384)")
        let vcek = chain.first
        let expired = chain.lazy.compactMap { certificate -> String? in
            if time > certificate.notAfter {
                return "collateral expired: certificate \(certificate.name) expired: notAfter \(Timestamp.iso(certificate.notAfter)) is before \(Timestamp.iso(time))"
            }
            return time < certificate.notBefore ? "certificate \(certificate.name) is not yet valid: notBefore \(Timestamp.iso(certificate.notBefore)) is after \(Timestamp.iso(time))" : nil
        }.first ?? (vcek == nil ? "no VCEK" : nil)
        report.record("collateral.current", expired == nil, expired ?? "VCEK, ASK and ARK valid at \(Timestamp.iso(time))")
        let signed = vcek.flatMap { try? P384.Signing.PublicKey(derRepresentation: $0.spki) }.flatMap { key in
            snp.rawSignature.flatMap { try? P384.Signing.ECDSASignature(rawRepresentation: $0) }.map {
                key.isValidSignature($0, for: snp.bytes[0 ..< SNPReport.signedLength])
            }
        } ?? false
        report.record("report.signature", signed, signed ? "bytes 0x000-0x29F signed by the VCEK (ECDSA P-384, SHA-384)" : "report signature does not verify with the VCEK key")
        guard let vcek, let product else {
            report.record("tcb.vcek-match", false, "no VCEK of a known product line to compare the TCB with")
            return
        }
        var parts: [String] = [], wrong: [String] = []
        for (name, index) in Self.tcbLayout(product) {
            let have = Int(snp.reportedTCB[index])
            let want = Self.tcbOIDs[name].flatMap(vcek.integerExtension)
            parts.append("\(name) \(have)")
            if want != have { wrong.append("\(name): report \(have), VCEK \(want.map(String.init) ?? "absent")") }
        }
        let hwID = vcek.extensions[Self.hwID] ?? []
        if hwID.isEmpty || Array(snp.chipID.prefix(hwID.count)) != hwID {
            wrong.append("VCEK hwID \(Hex.encode(hwID)) is not the report's CHIP_ID")
        }
        report.record("tcb.vcek-match", wrong.isEmpty, wrong.isEmpty
            ? "REPORTED_TCB \(Hex.encode(snp.reportedTCB)) (\(parts.joined(separator: ", "))) and CHIP_ID match the \(product.rawValue) VCEK"
            : wrong.joined(separator: "; "))
    }
}
