import Foundation

/// What a relying party accepts of hardware evidence: TCB statuses, debug, pinned values.
///
/// The policy file (`enclave verify --policy FILE`) is JSON with these optional fields
/// (docs/attestation.md, "Policy file"):
///
/// ```json
/// {
///   "accepted_tcb_statuses": ["UpToDate", "SWHardeningNeeded"],
///   "allow_debug": false,
///   "measurements": { "MRENCLAVE": "<hex>", "RTMR1": "<hex>", "MEASUREMENT": "<hex>" },
///   "report_data": "<hex>"
/// }
/// ```
public struct EvidencePolicy: Sendable, Equatable {
    /// Intel's TCB statuses, least to most severe.
    public static let tcbStatuses = [
        "UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
        "OutOfDate", "OutOfDateConfigurationNeeded", "Revoked",
    ]
    /// Accepted when nothing else is said: the original's clients' secure floor.
    public static let defaultAcceptedTCBStatuses = ["UpToDate", "SWHardeningNeeded"]
    /// A policy is a few hundred bytes; anything past this is refused unread.
    public static let maxFileSize = 64 * 1024

    /// Intel TCB statuses accepted (never `Revoked`). Not applicable to SEV-SNP, which has none.
    public var acceptedTCBStatuses: [String]
    /// Accept debug enclaves, TDs and SNP guests (whose memory the host can read).
    public var allowDebug: Bool
    /// Values that must match exactly, by name (raw bytes as in the evidence; integers little-endian).
    public var measurements: [Measurement]
    /// Required REPORTDATA (raw evidence only: in a certificate the binding check decides it).
    public var reportData: [UInt8]?

    /// Creates a policy; the defaults accept UpToDate and SWHardeningNeeded, refuse debug, pin nothing.
    public init(
        acceptedTCBStatuses: [String] = EvidencePolicy.defaultAcceptedTCBStatuses,
        allowDebug: Bool = false,
        measurements: [Measurement] = [],
        reportData: [UInt8]? = nil
    ) {
        self.acceptedTCBStatuses = acceptedTCBStatuses
        self.allowDebug = allowDebug
        self.measurements = measurements
        self.reportData = reportData
    }

    /// Parses a policy file. - Throws: ``EvidenceLayoutError`` naming the bad field.
    public init(json bytes: [UInt8]) throws {
        guard bytes.count <= Self.maxFileSize else {
            throw EvidenceLayoutError("policy file is larger than \(Self.maxFileSize) bytes")
        }
        guard let document = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw EvidenceLayoutError("policy file must be a JSON object")
        }
        let known: Set<String> = ["accepted_tcb_statuses", "allow_debug", "measurements", "report_data"]
        let unknown = Set(document.keys).subtracting(known)
        guard unknown.isEmpty else {
            throw EvidenceLayoutError("policy file: unknown field(s) \(unknown.sorted().joined(separator: ", "))")
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(bytes))
        } catch {
            throw EvidenceLayoutError("policy file: \(Self.describe(error))")
        }
        self.init(allowDebug: file.allow_debug ?? false)
        if let statuses = file.accepted_tcb_statuses {
            acceptedTCBStatuses = try Self.statuses(statuses)
        }
        measurements = try (file.measurements ?? [:]).keys.sorted().map { name in
            Measurement(name: name, value: try Self.hex(file.measurements?[name], "measurements.\(name)"))
        }
        if let data = file.report_data {
            reportData = try Self.hex(data, "report_data")
        }
    }

    /// The policy file's shape; field names as in the file.
    private struct File: Decodable {
        // swiftlint:disable identifier_name
        let accepted_tcb_statuses: [String]?
        let allow_debug: Bool?
        let measurements: [String: String]?
        let report_data: String?
        // swiftlint:enable identifier_name
    }

    private static func describe(_ error: Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : path + ": ") + context.debugDescription
        @unknown default:
            return "\(decoding)"
        }
    }

    /// Checks status names given on a command line or in a file.
    public static func statuses(_ list: [String]) throws -> [String] {
        guard list.allSatisfy(tcbStatuses.contains) else {
            throw EvidenceLayoutError("accepted_tcb_statuses must list statuses from \(tcbStatuses.joined(separator: ", "))")
        }
        guard !list.contains("Revoked") else { throw EvidenceLayoutError("Revoked can never be accepted") }
        return list
    }

    private static func hex(_ value: String?, _ what: String) throws -> [UInt8] {
        guard let text = value, let bytes = Hex.decode(text) else {
            throw EvidenceLayoutError("policy file: \(what) must be a hex string")
        }
        return bytes
    }
}
