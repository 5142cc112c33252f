import Foundation

/// Intel SGX evidence through Gramine's `/dev/attestation` pseudo-files.
///
/// Protocol (Gramine docs, "Attestation"): write 64 bytes to `user_report_data`,
/// then read `quote`, whose report body carries those bytes as REPORTDATA.
/// `attestation_type` says `dcap` (or `epid`, or `none` when the manifest did not
/// enable remote attestation). The root is configurable so tests can run this
/// exact code against a directory of plain files; it has not been exercised on
/// SGX hardware in this repository's tests.
public struct GramineSGXProvider: AttestationProvider {
    /// The default Gramine attestation root.
    public static let defaultRoot = "/dev/attestation"

    /// The directory holding `user_report_data`, `quote`, `attestation_type`, `keys/`.
    public let root: String
    // The write-then-read pair must not interleave between threads; one provider
    // per process is the intended use, so a per-instance lock is enough.
    private let lock = NSLock()

    /// Creates a provider over `root` (default `/dev/attestation`).
    public init(root: String = GramineSGXProvider.defaultRoot) {
        self.root = root
    }

    /// Always ``AttestationKind/gramineSGX``.
    public var kind: AttestationKind { .gramineSGX }
    /// Always true: the quote comes from the SGX quoting enclave.
    public var isHardware: Bool { true }

    /// Path of the file receiving report data.
    public var userReportDataPath: String { root + "/user_report_data" }
    /// Path of the file yielding the quote.
    public var quotePath: String { root + "/quote" }
    /// Path of the MRENCLAVE-bound sealing key.
    public var sealingKeyPath: String { root + "/keys/_sgx_mrenclave" }
    /// Path of the attestation type (`dcap`, `epid`, `none`).
    public var attestationTypePath: String { root + "/attestation_type" }

    /// Writes `reportData` and reads back an SGX quote.
    /// - Throws: ``AttestationError`` when the files are missing or the quote is not SGX.
    public func evidence(reportData: [UInt8]) throws -> Evidence {
        try checkReportDataLength(reportData)
        let quote: [UInt8] = try lock.withLock {
            try DeviceFiles.write(reportData, to: userReportDataPath)
            return try DeviceFiles.read(quotePath)
        }
        guard !quote.isEmpty else {
            throw AttestationError.invalidDeviceOutput(
                path: quotePath,
                reason: "empty quote (attestation_type '\(attestationType() ?? "unknown")'; the manifest needs sgx.remote_attestation = \"dcap\")"
            )
        }
        // Check the device did what we asked, with the verifier's own parser: a quote it cannot
        // parse, or one bound to other report data, would make certificates no one can verify.
        let parsed: DCAPQuote
        do {
            parsed = try DCAPQuote(parsing: quote)
        } catch {
            throw AttestationError.invalidDeviceOutput(path: quotePath, reason: "\(error)")
        }
        guard !parsed.isTDX else {
            throw AttestationError.invalidDeviceOutput(path: quotePath, reason: "a TDX quote where an SGX quote was expected")
        }
        guard parsed.reportData == reportData else {
            throw AttestationError.invalidDeviceOutput(path: quotePath, reason: "quote does not carry the report data just written")
        }
        // The certificate carries the quote proper: bytes after the signature data (padding)
        // are signed by nothing.
        return Evidence(format: .sgxQuote, bytes: Array(quote[0 ..< parsed.length]))
    }

    /// The 16-byte SGX sealing key bound to MRENCLAVE (Gramine's `_sgx_mrenclave`).
    /// - Throws: ``AttestationError`` when the file is missing or not 16 bytes.
    public func sealingKey() throws -> [UInt8] {
        let key = try DeviceFiles.read(sealingKeyPath)
        guard key.count == 16 else {
            throw AttestationError.invalidDeviceOutput(path: sealingKeyPath, reason: "expected a 16-byte key, got \(key.count) bytes")
        }
        return key
    }

    /// The contents of `attestation_type`, or nil when absent.
    public func attestationType() -> String? {
        try? DeviceFiles.readText(attestationTypePath)
    }
}
