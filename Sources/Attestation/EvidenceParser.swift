import Foundation
import SwiftASN1

/// A named measurement read from evidence, e.g. MRENCLAVE or MRTD.
public struct Measurement: Sendable, Equatable {
    /// The register's name as the vendor documents it (`MRENCLAVE`, `MRTD`, `MEASUREMENT`, …).
    public var name: String
    /// The raw register value.
    public var value: [UInt8]

    /// Creates a measurement.
    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// What the verifier reads from evidence without checking its signature.
public struct ParsedEvidence: Sendable, Equatable {
    /// The evidence layout.
    public var format: EvidenceFormat
    /// The 64-byte REPORTDATA field.
    public var reportData: [UInt8]
    /// Measurements in vendor order; the first is the primary code identity
    /// (MRENCLAVE, MRTD, or SNP MEASUREMENT). Empty for simulated evidence.
    public var measurements: [Measurement]
}

/// Why evidence bytes did not parse.
public enum EvidenceParseError: Error, Equatable, CustomStringConvertible {
    /// Fewer bytes than the format's fixed layout needs.
    case tooShort(format: EvidenceFormat, needed: Int, got: Int)
    /// A header field has a value this format never has.
    case unexpectedHeader(format: EvidenceFormat, reason: String)

    /// A message naming the format and the problem.
    public var description: String {
        switch self {
        case .tooShort(let format, let needed, let got):
            return "\(format.rawValue) evidence is \(got) bytes, needs at least \(needed)"
        case .unexpectedHeader(let format, let reason):
            return "\(format.rawValue) evidence header: \(reason)"
        }
    }
}

/// Reads REPORTDATA and measurements at their documented offsets.
///
/// Offsets (all little-endian, from Intel's DCAP `sgx_quote_3.h` / TDX DCAP
/// `QuoteGeneration` headers and AMD SEV-SNP ABI spec table "ATTESTATION_REPORT"):
/// - SGX quote v3 (or v4 with TEE type 0): 48-byte header, report body: MRENCLAVE @64,
///   MRSIGNER @128, REPORTDATA @320.
/// - TDX quote v4: 48-byte header (TEE type 0x81 @4), TD report: MRTD @136, RTMR0-3 @328…,
///   REPORTDATA @520. v5 adds a 6-byte (type, size) descriptor before the body.
/// - SEV-SNP report: REPORT_DATA @0x50, MEASUREMENT @0x90 (48 bytes), 1184 bytes total.
///
/// Nothing here checks a signature: a parsed quote is a claim, not a proof
/// (``EvidenceVerifier`` checks it).
public enum EvidenceParser {
    static let quoteHeaderLength = 48

    /// Classifies evidence found under `oid`: the SGX OID carries either a real
    /// quote or simulated `MOCK_QUOTE:` bytes. Returns nil for a non-evidence OID.
    public static func format(oid: ASN1ObjectIdentifier, bytes: [UInt8]) -> EvidenceFormat? {
        switch oid {
        case AttestationOID.sgxQuote:
            return bytes.starts(with: SimulatedProvider.prefix) ? .simulated : .sgxQuote
        case AttestationOID.tdxQuote:
            return .tdxQuote
        case AttestationOID.sevSnpReport:
            return .sevSnpReport
        default:
            return nil
        }
    }

    /// Parses `bytes` as `format`.
    /// - Throws: ``EvidenceParseError`` when the bytes do not have the format's layout.
    public static func parse(format: EvidenceFormat, bytes: [UInt8]) throws -> ParsedEvidence {
        switch format {
        case .simulated:
            let prefix = SimulatedProvider.prefix
            let needed = prefix.count + ReportData.length
            guard bytes.starts(with: prefix) else {
                throw EvidenceParseError.unexpectedHeader(format: format, reason: "does not start with MOCK_QUOTE:")
            }
            guard bytes.count == needed else {
                throw EvidenceParseError.tooShort(format: format, needed: needed, got: bytes.count)
            }
            return ParsedEvidence(format: format, reportData: Array(bytes[prefix.count...]), measurements: [])
        case .sgxQuote, .tdxQuote:
            let body = try quoteBody(format: format, bytes: bytes)
            let reportData = format == .tdxQuote ? Array(body[520 ..< 584]) : Array(body[320 ..< 384])
            return ParsedEvidence(format: format, reportData: reportData, measurements: format == .tdxQuote ? MeasuredValues.td(body) : MeasuredValues.sgx(body))
        case .sevSnpReport:
            try require(bytes, count: 0x4A0, format: format)
            return ParsedEvidence(format: format, reportData: slice(bytes, 0x50, 64), measurements: MeasuredValues.snp(bytes))
        }
    }

    /// The report body of an SGX or TDX quote from its header alone (the signature data is
    /// ``DCAPQuote``'s business): v3 SGX at 48; v4 at 48, SGX or TDX by TEE type; v5 at 54,
    /// by the body descriptor.
    private static func quoteBody(format: EvidenceFormat, bytes: [UInt8]) throws -> [UInt8] {
        try require(bytes, count: quoteHeaderLength, format: format)
        let version = Int(u16(bytes, 0)), teeType = u32(bytes, 4)
        let tdx = format == .tdxQuote
        // A v3 header's TEE type field is reserved; later versions name the TEE there.
        guard tdx ? teeType == 0x81 : (version == 3 || teeType == 0) else {
            throw EvidenceParseError.unexpectedHeader(format: format, reason: "TEE type 0x\(String(teeType, radix: 16)), expected \(tdx ? "0x81 (TDX)" : "0x0 (SGX)")")
        }
        let offset: Int, size: Int
        switch version {
        case 3 where !tdx, 4:
            (offset, size) = (quoteHeaderLength, tdx ? 584 : 384)
        case 5:
            try require(bytes, count: quoteHeaderLength + 6, format: format)
            let type = Int(u16(bytes, quoteHeaderLength))
            guard let body = DCAPQuote.Body(rawValue: type), (body != .sgx) == tdx else {
                throw EvidenceParseError.unexpectedHeader(format: format, reason: "v5 body type \(type) is not \(tdx ? "a TD report (2 or 3)" : "an SGX report (1)")")
            }
            (offset, size) = (quoteHeaderLength + 6, body.size)
        default:
            throw EvidenceParseError.unexpectedHeader(format: format, reason: "version \(version), expected \(tdx ? "4 or 5" : "3, 4 or 5")")
        }
        try require(bytes, count: offset + size, format: format)
        return slice(bytes, offset, size)
    }

    private static func require(_ bytes: [UInt8], count: Int, format: EvidenceFormat) throws {
        guard bytes.count >= count else {
            throw EvidenceParseError.tooShort(format: format, needed: count, got: bytes.count)
        }
    }

    private static func slice(_ bytes: [UInt8], _ offset: Int, _ length: Int) -> [UInt8] {
        Array(bytes[offset ..< offset + length])
    }

    private static func u16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    private static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        (0 ..< 4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }
}
