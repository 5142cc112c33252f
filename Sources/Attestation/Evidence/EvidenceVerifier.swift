import Foundation

/// Verifies hardware evidence to the vendor roots: Intel SGX/TDX DCAP quotes (PCK chain to the
/// pinned Intel SGX Root CA, QE report, quote signature, TCB info, QE identity, CRLs, TCB level)
/// and AMD SEV-SNP reports (VCEK → ASK → pinned ARK, report signature, TCB), at a fixed time,
/// under a policy. Used for raw evidence (`enclave verify --evidence`) and, by
/// ``AttestationVerifier``, for the evidence inside an RA-TLS certificate.
public struct EvidenceVerifier: Sendable {
    /// Where the collateral comes from.
    public enum Collateral: Sendable {
        /// None given: the checks that need it fail with `collateral.present`.
        case none
        /// A directory in the layout of ``IntelCollateral`` or ``AMDCollateral``, read when needed.
        case directory(String)
    }

    /// Evidence is at most this large (a quote with its PCK chain is about 5 KB).
    public static let maxEvidenceSize = 64 * 1024

    /// The collateral source.
    public var collateral: Collateral
    /// The verification time: collateral and certificates must be valid then.
    public var time: Date
    /// What is accepted.
    public var policy: EvidencePolicy

    /// Creates a verifier.
    public init(collateral: Collateral, time: Date, policy: EvidencePolicy = EvidencePolicy()) {
        self.collateral = collateral
        self.time = time
        self.policy = policy
    }

    /// The hardware format of raw evidence: a DCAP quote (version 3-5, key type 2; TEE type
    /// 0x81 is TDX) or an SEV-SNP report (version 2-5, signature algorithm 1); nil otherwise.
    public static func detectFormat(_ bytes: [UInt8]) -> EvidenceFormat? {
        if bytes.count >= DCAPQuote.headerLength, (3 ... 5).contains(LittleEndian.u16(bytes, 0)), LittleEndian.u16(bytes, 2) == 2 {
            return LittleEndian.u32(bytes, 4) == UInt32(DCAPQuote.teeTypeTDX) ? .tdxQuote : .sgxQuote
        }
        if bytes.count >= SNPReport.size, (2 ... 5).contains(LittleEndian.u32(bytes, 0)), LittleEndian.u32(bytes, 0x34) == 1 {
            return .sevSnpReport
        }
        return nil
    }

    /// Verifies raw evidence (a quote or report file) and reports every check.
    public func verify(evidence bytes: [UInt8]) -> VerificationReport {
        var report = VerificationReport()
        guard let format = Self.detectFormat(bytes) else {
            report.record("evidence.present", false, "\(bytes.count) bytes are neither a DCAP quote (v3-v5, ECDSA-P256) nor an SEV-SNP report")
            return report
        }
        report.evidenceFormat = format
        report.record("evidence.present", true, "\(format.rawValue), \(bytes.count) bytes")
        report.notChecked = Self.notChecked(format)
        verifyHardware(format: format, bytes: bytes, into: &report)
        return report
    }

    /// Records the hardware checks of `bytes` on `report`; returns the evidence's report data.
    @discardableResult
    func verifyHardware(format: EvidenceFormat, bytes: [UInt8], into report: inout VerificationReport) -> [UInt8]? {
        let structure = format == .sevSnpReport ? "report.structure" : "quote.structure"
        guard bytes.count <= Self.maxEvidenceSize else {
            report.record(structure, false, "evidence is \(bytes.count) bytes, more than \(Self.maxEvidenceSize)")
            return nil
        }
        let reportData: [UInt8]?
        do {
            switch format {
            case .sevSnpReport:
                let amd = try collateralDirectory().map(AMDCollateral.init(directory:))
                reportData = SNPVerifier(collateral: amd, time: time, policy: policy).verify(bytes, into: &report)?.reportData
            case .sgxQuote, .tdxQuote:
                let intel = try collateralDirectory().map(IntelCollateral.init(directory:))
                let quote = DCAPVerifier(collateral: intel, time: time, policy: policy).verify(bytes, into: &report)
                if let quote, quote.isTDX != (format == .tdxQuote) {
                    report.record("evidence.kind", false, "\(quote.isTDX ? "TDX" : "SGX") quote carried where a \(format.rawValue) was expected")
                }
                reportData = quote?.reportData
            case .simulated:
                return nil
            }
        } catch {
            report.record("collateral.present", false, "\(error)")
            return nil
        }
        guard let reportData else { return nil }
        for expected in policy.measurements {
            let found = report.measurements.first { $0.name == expected.name }
            report.record(
                "measurement.\(expected.name)", found?.value == expected.value,
                found.map { "found \(Hex.encode($0.value)), expected \(Hex.encode(expected.value))" } ?? "evidence has no \(expected.name)"
            )
        }
        if let expected = policy.reportData {
            report.record("report-data", reportData == expected, Hex.encode(reportData) + (reportData == expected ? "" : ", expected \(Hex.encode(expected))"))
        }
        return reportData
    }

    private func collateralDirectory() -> String? {
        if case .directory(let path) = collateral { return path }
        return nil
    }

    /// What verifying `format` evidence does not establish (the report's NOT CHECKED lines).
    public static func notChecked(_ format: EvidenceFormat) -> [String] {
        switch format {
        case .sevSnpReport:
            return [
                "AMD publishes no TCB status for SEV-SNP: the VCEK proves REPORTED_TCB, whose acceptability is the policy's (pin REPORTED_TCB)",
                "revocation of the ASK or VCEK (AMD's CRL is not read) and freshness of the VCEK beyond its validity",
                "the launch ID block and the host's HOST_DATA mean only what a policy pins",
            ]
        case .tdxQuote, .sgxQuote:
            return [
                "revocation and TCB status are as current as the collateral files given: nothing is fetched from Intel PCS",
                format == .tdxQuote
                    ? "TDX RTMR event logs are not replayed: RTMRs are only compared with pinned values"
                    : "SGX KSS fields (ISVEXTPRODID, ISVFAMILYID, CONFIGID) mean only what a policy pins",
            ]
        case .simulated:
            return ["everything about the platform: simulated evidence is not produced by a TEE"]
        }
    }
}
