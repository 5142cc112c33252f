import ArgumentParser
import Attestation
import Foundation
import EnclaveClient

/// What the server's attested certificate must show; shared by `verify` and `--verify`.
struct ExpectationOptions: ParsableArguments {
    @Flag(name: .customLong("allow-simulated"),
          help: "Accept SIMULATED (MOCK_QUOTE) evidence. It proves nothing: development servers only.")
    var allowSimulated = false

    @Option(name: .customLong("expect-code-hash"),
            help: "Required app code hash (64 hex digits, SHA-256 of the .wasm), checked in OID 1.3.6.1.4.1.65230.3.2; select the app's certificate with its hostname as SNI.")
    var expectCodeHash: String?

    @Option(name: .customLong("expect-oid"), help: "Required raw extension value, OID=HEX (repeatable).")
    var expectOID: [String] = []

    @Option(name: .long, help: ArgumentHelp("Collateral for hardware evidence: Intel PCS files or the AMD VCEK (docs/attestation.md).", valueName: "DIR"))
    var collateral: String?

    @Option(name: .long, help: ArgumentHelp("Policy file (JSON): accepted TCB statuses, debug, pinned measurements (docs/attestation.md).", valueName: "FILE"))
    var policy: String?

    @Option(name: .customLong("accept-tcb"), help: ArgumentHelp("Accepted Intel TCB status (repeatable; replaces the policy's list; default UpToDate, SWHardeningNeeded).", valueName: "STATUS"))
    var acceptTCB: [String] = []

    @Flag(name: .customLong("allow-debug"), help: "Accept debug enclaves, TDs and SEV-SNP guests (the host can read their memory).")
    var allowDebug = false

    @Option(name: .customLong("expect-measurement"), help: ArgumentHelp("Required measured value, NAME=HEX, e.g. MRENCLAVE=… or RTMR1=… (repeatable).", valueName: "NAME=HEX"))
    var expectMeasurement: [String] = []

    @Option(name: .customLong("ca-cert"), help: ArgumentHelp("Operator CA (PEM) that must have signed the server's leaf (enclave-os --ca-cert).", valueName: "FILE"))
    var caCert: String?

    @Option(name: .customLong("appraisal-url"), help: "Also send the evidence to an attestation server (https://, the original's {\"quote\": base64} request).")
    var appraisalURL: String?

    @Option(name: .customLong("appraisal-token"), help: "Bearer token for the attestation server.")
    var appraisalToken: String?

    @Option(name: .customLong("appraisal-ca"), help: ArgumentHelp("PEM trust anchors for the attestation server (default: the system's).", valueName: "FILE"))
    var appraisalCA: String?

    /// Whether any option asks for verification (so `--verify` is implied and never silently ignored).
    var requested: Bool {
        expectCodeHash != nil || !expectOID.isEmpty || collateral != nil || policy != nil || !acceptTCB.isEmpty
            || allowDebug || !expectMeasurement.isEmpty || appraisalURL != nil || caCert != nil
    }

    /// The verifier's expectations for `binding`, checked at `time` (the current time when nil).
    /// - Throws: `ValidationError` naming the malformed option.
    func expectations(binding: VerificationExpectations.Binding, at time: Date? = nil) throws -> VerificationExpectations {
        var codeHash: [UInt8]?
        if let hex = expectCodeHash {
            guard let bytes = Hex.decode(hex), bytes.count == 32 else {
                throw ValidationError("--expect-code-hash must be 64 hex digits (a SHA-256), got '\(hex)'")
            }
            codeHash = bytes
        }
        let extensions = try expectOID.map { text -> VerificationExpectations.ExtensionValue in
            do {
                return try VerificationExpectations.ExtensionValue(parsing: text)
            } catch {
                throw ValidationError("--expect-oid \(text): \(error)")
            }
        }
        var expectations = VerificationExpectations(
            binding: binding, allowSimulated: allowSimulated, codeHash: codeHash, extensions: extensions, now: time ?? .now,
            collateral: collateral.map { .directory($0) } ?? .none, evidencePolicy: try evidencePolicy()
        )
        expectations.caCertificateDER = try caCert.map(OperatorCAFile.der)
        return expectations
    }

    /// The policy file (if any) with the command-line options applied on top.
    func evidencePolicy() throws -> EvidencePolicy {
        var result = EvidencePolicy()
        if let policy {
            do {
                result = try EvidencePolicy(json: try CollateralFile.read(policy, limit: EvidencePolicy.maxFileSize))
            } catch {
                throw ValidationError("--policy \(policy): \(error)")
            }
        }
        if !acceptTCB.isEmpty {
            do {
                result.acceptedTCBStatuses = try EvidencePolicy.statuses(acceptTCB)
            } catch {
                throw ValidationError("--accept-tcb: \(error)")
            }
        }
        result.allowDebug = result.allowDebug || allowDebug
        for item in expectMeasurement {
            guard let eq = item.firstIndex(of: "="), let value = Hex.decode(String(item[item.index(after: eq)...])) else {
                throw ValidationError("--expect-measurement \(item): expected NAME=HEX")
            }
            let name = String(item[..<eq])
            result.measurements.removeAll { $0.name == name }
            result.measurements.append(Measurement(name: name, value: value))
        }
        return result
    }

    /// The remote appraiser, when `--appraisal-url` is given.
    func appraiser() throws -> RemoteAppraiser? {
        guard let appraisalURL else { return nil }
        var roots: [UInt8]?
        if let appraisalCA {
            do {
                roots = try CollateralFile.read(appraisalCA, limit: EvidencePolicy.maxFileSize)
            } catch {
                throw ValidationError("--appraisal-ca \(appraisalCA): \(error)")
            }
        }
        return RemoteAppraiser(url: appraisalURL, token: appraisalToken, trustRootsPEM: roots)
    }

    /// `.attested`, or `.attestedAndAppraised` with `--appraisal-url`, for `binding`.
    func verification(binding: VerificationExpectations.Binding) throws -> TLSVerification {
        let wanted = try expectations(binding: binding)
        return try appraiser().map { .attestedAndAppraised(wanted, $0) } ?? .attested(wanted)
    }
}
