import Crypto
import Foundation
import X509

/// Checks an Intel SGX/TDX DCAP quote with its collateral at a fixed time; every step is a named
/// check in the report (the Python verifier records the same names in the same order).
struct DCAPVerifier {
    let collateral: IntelCollateral?
    let time: Date
    let policy: EvidencePolicy

    /// Records every check; returns the parsed quote, or nil when it does not parse.
    func verify(_ bytes: [UInt8], into report: inout VerificationReport) -> DCAPQuote? {
        let quote: DCAPQuote
        do {
            quote = try DCAPQuote(parsing: bytes)
        } catch {
            report.record("quote.structure", false, "\(error)")
            return nil
        }
        let trailing = quote.trailing > 0 ? "; \(quote.trailing) trailing bytes ignored (not signed)" : ""
        report.record("quote.structure", true, "\(quote.isTDX ? "TDX" : "SGX") quote v\(quote.version), body type \(quote.body.rawValue), \(quote.signedBytes.count) bytes signed, quote ends at \(quote.length)\(trailing)")
        report.measurements = quote.isTDX ? MeasuredValues.td(quote.bodyBytes) : MeasuredValues.sgx(quote.bodyBytes)

        var chain: [Certificate] = []
        var problem: String?
        do {
            chain = try IntelChain.certificates(pem: quote.pckChainPEM)
            problem = IntelChain.problem(chain) ?? IntelChain.notCurrent(chain, at: time)
        } catch {
            problem = "PCK certificate chain does not parse: \(error)"
        }
        let names = chain.prefix(2).map { IntelChain.commonName($0.subject) }
        report.record("quote.pck-chain", problem == nil, problem ?? "PCK \(names.joined(separator: " ← ")) ← pinned Intel SGX Root CA")
        checkSignatures(quote, leaf: chain.first, &report)
        if let collateral {
            CollateralChecks(collateral: collateral, time: time, policy: policy).run(quote, chain: chain, &report)
        } else {
            report.record("collateral.present", false, "no collateral: TCB status, QE identity and revocation need --collateral DIR (Intel PCS files)")
        }
        checkDebug(quote, &report)
        return quote
    }

    private func checkSignatures(_ quote: DCAPQuote, leaf: Certificate?, _ report: inout VerificationReport) {
        let qeSigned = leaf.flatMap(IntelChain.p256Key).map { IntelChain.isValidRaw(quote.qeReportSignature, of: quote.qeReport, by: $0) } ?? false
        report.record("quote.qe-report-signature", qeSigned, qeSigned ? "QE report signed by the PCK key" : "QE report signature does not verify with the PCK certificate's key")
        let expected = Array(SHA256.hash(data: quote.attestationKey + quote.qeAuthData)) + [UInt8](repeating: 0, count: 32)
        let bound = Array(quote.qeReport[320 ..< 384]) == expected
        report.record("quote.qe-report-binding", bound, bound ? "QE report data = SHA-256(attestation key ‖ QE auth data) ‖ 0…" : "QE report data does not commit to the attestation key")
        let key = try? P256.Signing.PublicKey(rawRepresentation: quote.attestationKey)
        let signed = key.map { IntelChain.isValidRaw(quote.signature, of: quote.signedBytes, by: $0) } ?? false
        report.record("quote.signature", signed, signed ? "header and report body signed by the attestation key" : "quote signature does not verify with the attestation key")
    }

    private func checkDebug(_ quote: DCAPQuote, _ report: inout VerificationReport) {
        // TD_ATTRIBUTES bit 0 is TUD.DEBUG; an SGX enclave's ATTRIBUTES.FLAGS bit 1 is DEBUG.
        let debug = quote.isTDX ? quote.bodyBytes[120] & 0x01 != 0 : quote.bodyBytes[48] & 0x02 != 0
        let what = quote.isTDX ? "TD attributes \(Hex.encode(quote.bodyBytes[120 ..< 128]))" : "enclave attributes \(Hex.encode(quote.bodyBytes[48 ..< 64]))"
        let verdict = !debug ? "not a debug enclave/TD"
            : policy.allowDebug ? "DEBUG, allowed by policy" : "DEBUG: the host can read its memory; refused"
        report.record("evidence.debug", !debug || policy.allowDebug, "\(what): \(verdict)")
    }
}

/// The collateral half of DCAP verification: signed TCB info and QE identity, CRLs, validity
/// windows, QE identity, TCB level, TDX module and the final status under the policy.
private struct CollateralChecks {
    let collateral: IntelCollateral
    let time: Date
    let policy: EvidencePolicy

    func run(_ quote: DCAPQuote, chain: [Certificate], _ report: inout VerificationReport) {
        let pck = chain.first.flatMap { try? PCKExtension($0) }
        var signing: [Certificate] = []
        let tcbInfo: TCBInfo? = record("collateral.tcb-info", &report) {
            let (info, issuers): (TCBInfo, [Certificate]) = try signedDocument("TCB info", collateral.tcbInfo, key: "tcbInfo", issuers: collateral.tcbInfoIssuerChain)
            signing = issuers
            let wanted = quote.isTDX ? "TDX" : "SGX"
            guard let pck else { throw EvidenceLayoutError("no usable PCK certificate to match the TCB info with") }
            guard (info.id ?? "SGX") == wanted else { throw EvidenceLayoutError("TCB info id \(info.id ?? "-"), the quote needs \(wanted)") }
            guard Hex.decode(info.fmspc) == pck.fmspc, Hex.decode(info.pceId) == pck.pceID else {
                throw EvidenceLayoutError("TCB info is for FMSPC \(info.fmspc.lowercased()) / PCE-ID \(info.pceId), the PCK certificate says \(Hex.encode(pck.fmspc)) / \(Hex.encode(pck.pceID))")
            }
            return (info, "\(wanted) TCB info v\(info.version) for FMSPC \(Hex.encode(pck.fmspc)), signed by \(IntelChain.commonName(issuers[0].subject))")
        }
        let identity: QEIdentity? = record("collateral.qe-identity", &report) {
            let (identity, issuers): (QEIdentity, [Certificate]) = try signedDocument("QE identity", collateral.qeIdentity, key: "enclaveIdentity", issuers: collateral.qeIdentityIssuerChain)
            signing += issuers
            let wanted = quote.isTDX ? "TD_QE" : "QE"
            guard identity.id == wanted else { throw EvidenceLayoutError("QE identity id \(identity.id), the quote needs \(wanted)") }
            return (identity, "\(wanted) identity v\(identity.version)")
        }
        // `signing`: the TCB info's and the QE identity's issuer chains (each ending in the root).
        var windows = checkRevocation(chain: chain, signing: signing.filter { IntelChain.derBytes($0) != VendorRoots.intelSGXRootCA }, &report)
        if let tcbInfo { windows.append(window("TCB info", tcbInfo.issueDate, tcbInfo.nextUpdate)) }
        if let identity { windows.append(window("QE identity", identity.issueDate, identity.nextUpdate)) }
        windows.append(IntelChain.notCurrent(signing, at: time, expiredPrefix: "collateral expired: "))
        let expired = windows.compactMap { $0 }
        report.record("collateral.current", expired.isEmpty, expired.isEmpty ? "every certificate, CRL, TCB info and QE identity is valid at \(Timestamp.iso(time))" : expired.joined(separator: "; "))
        evaluateTCB(quote, pck: pck, tcbInfo: tcbInfo, identity: identity, &report)
    }

    private func evaluateTCB(_ quote: DCAPQuote, pck: PCKExtension?, tcbInfo: TCBInfo?, identity: QEIdentity?, _ report: inout VerificationReport) {
        var qe: TCBEvaluation.Verdict?
        if let identity {
            let result = TCBEvaluation.qeIdentity(identity, qeReport: quote.qeReport)
            report.record("qe.identity", result.ok, result.detail)
            qe = result.verdict
        }
        var platform: TCBEvaluation.Verdict?
        var module: TCBEvaluation.Verdict?
        if let tcbInfo, let pck {
            let svn = quote.isTDX ? Array(quote.bodyBytes[0 ..< 16]) : nil
            if let level = TCBEvaluation.platformLevel(tcbInfo, pck: pck, teeTCBSVN: svn) {
                platform = TCBEvaluation.Verdict(status: level.tcbStatus, advisories: level.advisoryIDs ?? [])
                report.record("tcb.level", true, "\(level.tcbStatus) (TCB date \(level.tcbDate ?? "-"))\(Self.advisories(level.advisoryIDs ?? []))")
            } else {
                report.record("tcb.level", false, "TCB level not supported: the platform's SVNs are below every TCB level of the TCB info")
            }
            if quote.isTDX {
                let result = TCBEvaluation.tdxModule(tcbInfo, body: quote.bodyBytes)
                report.record("tcb.tdx-module", result.ok, result.detail)
                module = result.verdict
            }
        }
        guard let platform, let qe else {
            report.record("tcb.status", false, "no TCB status: the platform TCB level or the QE identity was not established")
            return
        }
        let final = TCBEvaluation.combine(platform: platform, module: module, qe: qe)
        report.tcbStatus = final.status
        report.advisoryIDs = final.advisories
        let accepted = final.status != "Revoked" && policy.acceptedTCBStatuses.contains(final.status)
        report.record("tcb.status", accepted, "\(final.status)\(Self.advisories(final.advisories)); accepted: \(policy.acceptedTCBStatuses.sorted().joined(separator: ", "))")
    }

    /// The PCK CRL (issued by the PCK certificate's CA) and the root CA CRL: signed by their
    /// issuers and listing none of the chains' certificates (`signing`: the collateral signers
    /// below the root). Returns their validity problems.
    private func checkRevocation(chain: [Certificate], signing: [Certificate], _ report: inout VerificationReport) -> [String?] {
        guard chain.count >= 2, let root = chain.last else {
            report.record("collateral.revocation", false, "no PCK chain to check against the CRLs")
            return []
        }
        var windows: [String?] = []
        var problem: String?
        for (label, der, issuer, subjects) in [
            ("PCK CRL", collateral.pckCRL, chain[1], [chain[0]]),
            ("root CA CRL", collateral.rootCACRL, root, Array(chain.dropFirst().dropLast()) + signing),
        ] {
            guard let crl = try? RevocationList(derEncoded: der) else {
                problem = problem ?? "\(label) does not parse"
                continue
            }
            if !crl.isSigned(by: issuer) {
                problem = problem ?? "\(label) is not signed by \(IntelChain.commonName(issuer.subject))"
            } else if let revoked = subjects.first(where: crl.revokes) {
                problem = problem ?? "\(IntelChain.commonName(revoked.subject)) is revoked by the \(label)"
            }
            windows.append(window(label, crl.thisUpdate, crl.nextUpdate))
        }
        report.record("collateral.revocation", problem == nil, problem ?? "PCK CRL and root CA CRL signed by their issuers; no certificate of the chains is revoked")
        return windows
    }

    private func signedDocument<Document: Decodable>(_ label: String, _ text: [UInt8], key: String, issuers pem: [UInt8]) throws -> (Document, [Certificate]) {
        let (body, signature) = try SignedJSON.split(text, key: key)
        let issuers = try IntelChain.certificates(pem: pem)
        if let problem = IntelChain.problem(issuers) { throw EvidenceLayoutError("\(label) issuer chain: \(problem)") }
        guard let key = IntelChain.p256Key(issuers[0]), IntelChain.isValidRaw(signature, of: body, by: key) else {
            throw EvidenceLayoutError("\(label) signature does not verify with \(IntelChain.commonName(issuers[0].subject))")
        }
        do {
            return (try JSONDecoder().decode(Document.self, from: Data(body)), issuers)
        } catch {
            throw EvidenceLayoutError("\(label) is not a version this verifier reads: \(error)")
        }
    }

    private func record<Value>(_ name: String, _ report: inout VerificationReport, _ body: () throws -> (Value, String)) -> Value? {
        do {
            let (value, detail) = try body()
            report.record(name, true, detail)
            return value
        } catch {
            report.record(name, false, "\(error)")
            return nil
        }
    }

    private func window(_ label: String, _ start: String, _ end: String) -> String? {
        guard let from = Timestamp.parse(start), let until = Timestamp.parse(end) else { return "\(label) has unreadable dates" }
        return window(label, from, until)
    }

    private func window(_ label: String, _ start: Date, _ end: Date?) -> String? {
        guard let end else { return "\(label) has no nextUpdate" }
        if time > end { return "collateral expired: \(label) nextUpdate \(Timestamp.iso(end)) is before \(Timestamp.iso(time))" }
        if time < start { return "collateral not yet valid: \(label) issued \(Timestamp.iso(start)), after \(Timestamp.iso(time))" }
        return nil
    }

    private static func advisories(_ ids: [String]) -> String {
        ids.isEmpty ? ", no advisories" : ", advisories " + ids.joined(separator: ", ")
    }
}
