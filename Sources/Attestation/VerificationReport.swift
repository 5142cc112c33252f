/// The outcome of verifying one attested certificate: every check, by name.
public struct VerificationReport: Sendable, CustomStringConvertible {
    /// One named check.
    public struct Check: Sendable, Equatable {
        /// Stable name, e.g. `report-data.binding` (the Python verifier uses the same names).
        public var name: String
        /// Whether it passed.
        public var passed: Bool
        /// What was compared, or why it failed.
        public var detail: String

        /// Creates a check result.
        public init(name: String, passed: Bool, detail: String) {
            self.name = name
            self.passed = passed
            self.detail = detail
        }
    }

    /// Every check performed, in order.
    public internal(set) var checks: [Check] = []
    /// The evidence format found, if any.
    public internal(set) var evidenceFormat: EvidenceFormat?
    /// Measurements read from the evidence (unauthenticated: see ``notChecked``).
    public internal(set) var measurements: [Measurement] = []
    /// What this verifier does not establish, stated so no one assumes it does.
    public internal(set) var notChecked: [String] = []
    /// Intel's combined TCB status of verified SGX/TDX evidence (nil when not established).
    public internal(set) var tcbStatus: String?
    /// Intel security advisories that apply to that TCB status.
    public internal(set) var advisoryIDs: [String] = []

    /// Creates an empty report.
    public init() {}

    /// True when at least one check ran and all passed.
    public var passed: Bool { !checks.isEmpty && checks.allSatisfy(\.passed) }
    /// The failed checks.
    public var failures: [Check] { checks.filter { !$0.passed } }

    /// Finds a check by name.
    public func check(named name: String) -> Check? { checks.first { $0.name == name } }

    mutating func record(_ name: String, _ passed: Bool, _ detail: String) {
        checks.append(Check(name: name, passed: passed, detail: detail))
    }

    /// Adds a check made outside this module (e.g. the client's `remote-appraisal`).
    public mutating func append(_ check: Check) {
        checks.append(check)
    }

    /// One line per check (`PASS name: detail`), then what is not checked, then the verdict.
    public var description: String {
        var lines = checks.map { "\($0.passed ? "PASS" : "FAIL") \($0.name): \($0.detail)" }
        for measurement in measurements {
            lines.append("INFO measurement \(measurement.name) = \(Hex.encode(measurement.value))")
        }
        if let tcbStatus {
            lines.append("INFO tcb-status \(tcbStatus)" + (advisoryIDs.isEmpty ? "" : " (\(advisoryIDs.joined(separator: ", ")))"))
        }
        for item in notChecked { lines.append("NOT CHECKED \(item)") }
        lines.append(passed ? "RESULT: verified" : "RESULT: FAILED (\(failures.map(\.name).joined(separator: ", ")))")
        return lines.joined(separator: "\n")
    }
}
