import Attestation
import EnclaveProtocol

extension VerificationReport {
    /// The report as JSON (`enclave verify --json`, the console), with the keys and order of
    /// the Python verifier's `--json` (python/enclaveos_verify.py): the verdict, the evidence
    /// format, every check with its detail, the measurements read, what is not checked, and
    /// Intel's TCB status with its advisories.
    public var jsonObject: JSONObject {
        var object = JSONObject(pairs: [])
        object.append("passed", .bool(passed))
        object.append("evidence_format", evidenceFormat.map { .string($0.rawValue) } ?? .null)
        object.append("checks", .array(checks.map { check in
            .object(["name": .string(check.name), "passed": .bool(check.passed), "detail": .string(check.detail)])
        }))
        object.append("measurements", .object(JSONObject(pairs: measurements.map { .init(key: $0.name, value: .string(Hex.encode($0.value))) })))
        object.append("not_checked", .array(notChecked.map(JSON.string)))
        object.append("tcb_status", tcbStatus.map(JSON.string) ?? .null)
        object.append("advisory_ids", .array(advisoryIDs.map(JSON.string)))
        return object
    }
}
