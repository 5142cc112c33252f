/// Intel's TCB rules: which TCB level a platform is at, the TDX module's and the QE's status,
/// and how they combine (as Intel's Quote Verification Library does).
enum TCBEvaluation {
    /// A status with its advisories.
    struct Verdict: Equatable {
        var status: String
        var advisories: [String]
    }

    /// The first TCB level whose SGX component SVNs and PCESVN are all ≤ the PCK certificate's
    /// and, for TDX, whose TDX component SVNs are all ≤ TEE_TCB_SVN. When the TDX module version
    /// (TEE_TCB_SVN[1]) is set, bytes 0-1 are the module's SVN and version, judged by the module
    /// identity instead, so the comparison starts at byte 2.
    static func platformLevel(_ info: TCBInfo, pck: PCKExtension, teeTCBSVN: [UInt8]?) -> TCBInfo.Level? {
        info.tcbLevels.first { level in
            let sgx = level.tcb.sgxtcbcomponents.map(\.svn)
            guard sgx.count == 16, zip(pck.components, sgx).allSatisfy({ $0 >= $1 }), pck.pceSVN >= level.tcb.pcesvn else {
                return false
            }
            guard let svn = teeTCBSVN else { return true }
            let tdx = level.tcb.tdxtcbcomponents?.map(\.svn) ?? []
            let start = svn[1] > 0 ? 2 : 0
            return tdx.count == 16 && (start ..< 16).allSatisfy { Int(svn[$0]) >= tdx[$0] }
        }
    }

    /// The TDX module check: MRSIGNERSEAM and SEAM attributes against the module identity for the
    /// module version (`TDX_%02X`, or `tdxModule` for version 0), then its TCB level by module SVN.
    static func tdxModule(_ info: TCBInfo, body: [UInt8]) -> (ok: Bool, detail: String, verdict: Verdict?) {
        let svn = Int(body[0]), version = Int(body[1])
        guard var identity = info.tdxModule else { return (false, "TCB info has no tdxModule", nil) }
        var label = "tdxModule"
        var levels: [IdentityLevel]?
        if version > 0, let identities = info.tdxModuleIdentities, !identities.isEmpty {
            let wanted = String(format2: version)
            guard let found = identities.first(where: { $0.id?.uppercased() == wanted }) else {
                return (false, "no TDX module identity \(wanted) in the TCB info", nil)
            }
            (identity, label, levels) = (found, wanted, found.tcbLevels ?? [])
        }
        guard Hex.decode(identity.mrsigner) == Array(body[64 ..< 112]) else {
            return (false, "MRSIGNERSEAM \(Hex.encode(body[64 ..< 112])) is not \(label)'s \(identity.mrsigner.lowercased())", nil)
        }
        guard maskedEqual(Array(body[112 ..< 120]), identity.attributes, identity.attributesMask) else {
            return (false, "SEAM attributes \(Hex.encode(body[112 ..< 120])) do not match \(label)", nil)
        }
        guard let levels else {
            return (true, "\(label): MRSIGNERSEAM and SEAM attributes match (module version 0: no module TCB levels)", nil)
        }
        guard let level = levels.first(where: { svn >= $0.tcb.isvsvn }) else {
            return (false, "\(label) ISVSVN \(svn) is below every module TCB level", nil)
        }
        return (true, "\(label) ISVSVN \(svn): \(level.tcbStatus)", Verdict(status: level.tcbStatus, advisories: level.advisoryIDs ?? []))
    }

    /// The QE report against the QE identity: MRSIGNER, ISVPRODID, masked MISCSELECT and
    /// attributes, then the QE's TCB level by its ISVSVN.
    static func qeIdentity(_ identity: QEIdentity, qeReport: [UInt8]) -> (ok: Bool, detail: String, verdict: Verdict?) {
        let mrsigner = Array(qeReport[128 ..< 160])
        let prodID = Int(LittleEndian.u16(qeReport, 256)), isvsvn = Int(LittleEndian.u16(qeReport, 258))
        guard Hex.decode(identity.mrsigner) == mrsigner else {
            return (false, "QE MRSIGNER \(Hex.encode(mrsigner)) is not \(identity.mrsigner.lowercased())", nil)
        }
        guard identity.isvprodid == prodID else { return (false, "QE ISVPRODID \(prodID) is not \(identity.isvprodid)", nil) }
        guard maskedEqual(Array(qeReport[16 ..< 20]), identity.miscselect, identity.miscselectMask) else {
            return (false, "QE MISCSELECT \(Hex.encode(qeReport[16 ..< 20])) does not match the identity", nil)
        }
        guard maskedEqual(Array(qeReport[48 ..< 64]), identity.attributes, identity.attributesMask) else {
            return (false, "QE attributes \(Hex.encode(qeReport[48 ..< 64])) do not match the identity", nil)
        }
        guard let level = identity.tcbLevels.first(where: { isvsvn >= $0.tcb.isvsvn }) else {
            return (false, "QE ISVSVN \(isvsvn) is below every QE identity TCB level", nil)
        }
        return (true, "\(identity.id) ISVSVN \(isvsvn): \(level.tcbStatus)", Verdict(status: level.tcbStatus, advisories: level.advisoryIDs ?? []))
    }

    /// The final status: the worse of platform and module, converged with the QE's status as
    /// Intel QVL does (an OutOfDate QE makes the platform OutOfDate[ConfigurationNeeded]).
    static func combine(platform: Verdict, module: Verdict?, qe: Verdict) -> Verdict {
        var result = platform
        if let module {
            if severity(module.status) > severity(result.status) { result.status = module.status }
            result.advisories += module.advisories.filter { !result.advisories.contains($0) }
        }
        switch (qe.status, result.status) {
        case ("Revoked", _): result.status = "Revoked"
        case ("OutOfDate", "UpToDate"), ("OutOfDate", "SWHardeningNeeded"): result.status = "OutOfDate"
        case ("OutOfDate", "ConfigurationNeeded"), ("OutOfDate", "ConfigurationAndSWHardeningNeeded"):
            result.status = "OutOfDateConfigurationNeeded"
        default: break
        }
        result.advisories += qe.advisories.filter { !result.advisories.contains($0) }
        return result
    }

    private static func severity(_ status: String) -> Int {
        EvidencePolicy.tcbStatuses.firstIndex(of: status) ?? EvidencePolicy.tcbStatuses.count
    }

    private static func maskedEqual(_ actual: [UInt8], _ expectedHex: String, _ maskHex: String) -> Bool {
        guard let expected = Hex.decode(expectedHex), let mask = Hex.decode(maskHex),
              expected.count == actual.count, mask.count == actual.count
        else { return false }
        return (0 ..< actual.count).allSatisfy { actual[$0] & mask[$0] == expected[$0] & mask[$0] }
    }
}

private extension String {
    /// `TDX_%02X` without Foundation's format machinery.
    init(format2 version: Int) {
        let digits = Array("0123456789ABCDEF")
        self = "TDX_" + String(digits[(version >> 4) & 0xF]) + String(digits[version & 0xF])
    }
}
