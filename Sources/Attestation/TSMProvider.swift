import Foundation

/// Intel TDX or AMD SEV-SNP evidence through Linux configfs-tsm.
///
/// Protocol (Documentation/ABI/testing/configfs-tsm): `mkdir <root>/<entry>`,
/// write 64 bytes to `inblob`, read `outblob` (a TDX quote or an SNP report),
/// read `provider` (`tdx_guest` / `sev_guest`) to know which, read `generation`
/// to detect another writer on the same entry, then `rmdir` the entry.
///
/// The root is configurable so tests run this exact code against a directory of
/// plain files. Plain files cannot produce `outblob` in reaction to `inblob`, so
/// fixtures pre-create `outblob` and the tests check that `inblob` was written.
/// This has not been exercised on TDX or SEV-SNP hardware in this repository.
public struct TSMProvider: AttestationProvider {
    /// The default configfs-tsm report directory.
    public static let defaultRoot = "/sys/kernel/config/tsm/report"

    /// The configfs-tsm `report` directory.
    public let root: String
    /// A fixed entry name (tests); nil creates a unique entry per call.
    public let entryName: String?

    /// Creates a provider over `root`.
    /// - Parameters:
    ///   - root: the configfs-tsm report directory.
    ///   - entryName: a fixed entry name; nil (the default) makes a fresh one per call,
    ///     so concurrent calls never share an entry.
    public init(root: String = TSMProvider.defaultRoot, entryName: String? = nil) {
        self.root = root
        self.entryName = entryName
    }

    /// Always ``AttestationKind/tsm``.
    public var kind: AttestationKind { .tsm }
    /// Always true: the report comes from the TDX module or the SNP firmware.
    public var isHardware: Bool { true }

    /// Writes `reportData` to a report entry and returns the TDX quote or SNP report.
    /// - Throws: ``AttestationError`` on device errors, unknown providers, or a race.
    public func evidence(reportData: [UInt8]) throws -> Evidence {
        try checkReportDataLength(reportData)
        let entry = root + "/" + (entryName ?? "enclaveos-\(getpid())-\(UInt64.random(in: 0 ... .max))")
        do {
            try FileManager.default.createDirectory(atPath: entry, withIntermediateDirectories: false)
        } catch {
            // An existing entry is fine (fixed entry names); anything else is not.
            guard DeviceFiles.isDirectory(entry) else {
                throw AttestationError.deviceIO(path: entry, reason: "cannot create report entry: \(error)")
            }
        }
        // configfs removes attribute files itself on rmdir; on a fixture directory
        // rmdir fails because files remain, which the tests rely on to inspect them.
        defer { _ = rmdir(entry) }

        let generationPath = entry + "/generation"
        let before = readGeneration(generationPath)
        try DeviceFiles.write(reportData, to: entry + "/inblob")
        let outblob = try DeviceFiles.read(entry + "/outblob")
        let providerName = try DeviceFiles.readText(entry + "/provider")
        // Checked after reading outblob: if another writer touched the entry in
        // between, the outblob may be bound to its inblob, not ours.
        if let before, let after = readGeneration(generationPath), after != before + 1 {
            throw AttestationError.tsmGenerationMismatch(expected: before + 1, found: after)
        }

        // Parsed with the verifier's own parsers; the certificate carries the quote or report
        // proper (configfs may pad the outblob; bytes past the signed structure are dropped).
        let evidence: (format: EvidenceFormat, reportData: [UInt8], length: Int)
        do {
            switch providerName {
            case "tdx_guest":
                let quote = try DCAPQuote(parsing: outblob)
                guard quote.isTDX else { throw EvidenceLayoutError("an SGX quote where a TDX quote was expected") }
                evidence = (.tdxQuote, quote.reportData, quote.length)
            case "sev_guest":
                let report = try SNPReport(parsing: outblob)
                evidence = (.sevSnpReport, report.reportData, SNPReport.size)
            default:
                throw AttestationError.unknownTSMProvider(providerName)
            }
        } catch let error as EvidenceLayoutError {
            throw AttestationError.invalidDeviceOutput(path: entry + "/outblob", reason: error.description)
        }
        guard evidence.reportData == reportData else {
            throw AttestationError.invalidDeviceOutput(path: entry + "/outblob", reason: "report does not carry the report data just written")
        }
        return Evidence(format: evidence.format, bytes: Array(outblob[0 ..< evidence.length]))
    }

    /// The `generation` counter, or nil when the attribute is absent (fixtures).
    private func readGeneration(_ path: String) -> UInt64? {
        guard DeviceFiles.exists(path), let text = try? DeviceFiles.readText(path) else { return nil }
        return UInt64(text)
    }
}
