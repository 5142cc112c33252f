/// An AMD SEV-SNP attestation report (AMD "SEV Secure Nested Paging Firmware ABI Specification",
/// ATTESTATION_REPORT): 1184 bytes, little-endian, signed over bytes 0x000-0x29F with the VCEK
/// (ECDSA P-384, SHA-384; R and S as 72-byte little-endian values at 0x2A0 and 0x2E8).
public struct SNPReport: Sendable {
    static let size = 0x4A0
    static let signedLength = 0x2A0
    /// The guest policy bit that lets the host debug the guest (and read its memory).
    static let policyDebugBit: UInt64 = 1 << 19

    /// The report's 1184 bytes.
    public let bytes: [UInt8]
    /// Report format version (2 to 5).
    public let version: Int
    /// The guest policy.
    public let policy: UInt64
    /// REPORTED_TCB: the TCB the VCEK was derived for.
    public let reportedTCB: [UInt8]
    /// CHIP_ID (64 bytes; Turin fills only the first 8).
    public let chipID: [UInt8]
    /// Bytes after the report (signed by nothing, ignored).
    public let trailing: Int

    /// REPORT_DATA (64 bytes).
    public var reportData: [UInt8] { Array(bytes[0x50 ..< 0x90]) }

    /// Parses `data`. - Throws: ``EvidenceLayoutError`` for a short report or unknown version.
    public init(parsing data: [UInt8]) throws {
        guard data.count >= Self.size else {
            throw EvidenceLayoutError("SEV-SNP report is \(data.count) bytes, needs \(Self.size)")
        }
        let version = Int(LittleEndian.u32(data, 0)), algorithm = Int(LittleEndian.u32(data, 0x34))
        guard (2 ... 5).contains(version) else {
            throw EvidenceLayoutError("SEV-SNP report version \(version), expected 2 to 5")
        }
        guard algorithm == 1 else {
            throw EvidenceLayoutError("signature algorithm \(algorithm), only 1 (ECDSA P-384 with SHA-384) is defined")
        }
        bytes = Array(data[0 ..< Self.size])
        self.version = version
        policy = LittleEndian.u64(data, 0x08)
        reportedTCB = Array(data[0x180 ..< 0x188])
        chipID = Array(data[0x1A0 ..< 0x1E0])
        trailing = data.count - Self.size
    }

    /// The signature as P-384 raw r‖s (48-byte big-endian each), or nil when R or S does not fit.
    var rawSignature: [UInt8]? {
        let r = Array(bytes[0x2A0 ..< 0x2A0 + 72]), s = Array(bytes[0x2E8 ..< 0x2E8 + 72])
        guard r[48...].allSatisfy({ $0 == 0 }), s[48...].allSatisfy({ $0 == 0 }) else { return nil }
        return Array(r[0 ..< 48].reversed()) + Array(s[0 ..< 48].reversed())
    }
}
