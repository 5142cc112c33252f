import Foundation

/// An Intel DCAP ECDSA quote, parsed: SGX v3, SGX or TDX v4, or v5 with a body descriptor.
///
/// Layout (little-endian; Intel "SGX ECDSA Quote Library API" appendix A for v3, "TDX DCAP
/// Quoting Library API" for v4/v5): a 48-byte header (version @0, attestation key type @2,
/// TEE type @4), for v5 a body descriptor (type u16 @48, size u32 @50), the report body, then
/// the signature data length (u32) and the signature data: quote signature r‖s (64), attestation
/// key x‖y (64) and the QE section — in v3 directly, in v4/v5 inside certification data of type 6:
/// QE report (384), its signature (64), QE auth data (u16 size + bytes), certification data of
/// type 5 (the PEM PCK chain). The quote ends where the signature data ends; bytes after it are
/// signed by nothing and ignored (some producers pad).
public struct DCAPQuote: Sendable {
    /// Which report body the quote carries.
    public enum Body: Int, Sendable {
        /// SGX enclave report (384 bytes).
        case sgx = 1
        /// TD report of TDX 1.0 (584 bytes).
        case td10 = 2
        /// TD report of TDX 1.5 (648 bytes: adds TEE_TCB_SVN2 and MRSERVICETD).
        case td15 = 3

        var size: Int {
            switch self {
            case .sgx: return 384
            case .td10: return 584
            case .td15: return 648
            }
        }
    }

    static let headerLength = 48
    static let teeTypeTDX = 0x81
    /// A PCK chain is about 4 KB; anything far larger is refused before it is parsed.
    static let maxCertificationData = 64 * 1024

    /// Header version (3, 4 or 5).
    public let version: Int
    /// The report body kind.
    public let body: Body
    /// The report body bytes.
    public let bodyBytes: [UInt8]
    /// Header and body: what the attestation key signs.
    public let signedBytes: [UInt8]
    /// Quote signature, r‖s.
    let signature: [UInt8]
    /// Attestation public key, x‖y (P-256).
    let attestationKey: [UInt8]
    /// The Quoting Enclave's report (an SGX report body).
    let qeReport: [UInt8]
    /// The QE report's signature by the PCK key, r‖s.
    let qeReportSignature: [UInt8]
    /// QE authentication data, hashed with the attestation key into the QE report data.
    let qeAuthData: [UInt8]
    /// PEM PCK certificate chain: leaf, intermediate CA, Intel SGX Root CA.
    let pckChainPEM: [UInt8]
    /// Where the signature data ends: the length of the quote proper.
    public let length: Int
    /// Bytes after the quote proper (signed by nothing, ignored).
    public let trailing: Int

    /// True for TD report bodies.
    public var isTDX: Bool { body != .sgx }
    /// The 64-byte REPORTDATA of the body.
    public var reportData: [UInt8] { isTDX ? Array(bodyBytes[520 ..< 584]) : Array(bodyBytes[320 ..< 384]) }

    /// Parses `bytes`; every length is checked against what remains.
    /// - Throws: ``EvidenceLayoutError`` naming the field that does not fit.
    public init(parsing bytes: [UInt8]) throws {
        var header = ByteReader(bytes, what: "quote")
        let version = try header.u16("version")
        let keyType = try header.u16("attestation key type")
        let teeType = try header.u32("TEE type")
        guard keyType == 2 else {
            throw EvidenceLayoutError("attestation key type \(keyType), only 2 (ECDSA-256 with P-256) is supported")
        }
        let body = try Self.body(version: version, teeType: teeType, bytes: bytes)
        var reader = ByteReader(bytes, from: version == 5 ? 54 : Self.headerLength, what: "quote")
        self.version = version
        self.body = body
        self.bodyBytes = try reader.take(body.size, "report body")
        self.signedBytes = Array(bytes[0 ..< reader.offset])
        let signatureLength = try reader.u32("signature data length")
        guard signatureLength <= reader.remaining else {
            throw EvidenceLayoutError("signature data length \(signatureLength) runs past the end of the \(bytes.count)-byte quote")
        }
        let end = reader.offset + signatureLength
        var signatureData = ByteReader(bytes, from: reader.offset, to: end, what: "signature data")
        signature = try signatureData.take(64, "quote signature")
        attestationKey = try signatureData.take(64, "attestation key")
        if version == 3 {
            (qeReport, qeReportSignature, qeAuthData, pckChainPEM) = try Self.qeSection(&signatureData)
        } else {
            let type = try signatureData.u16("certification data type")
            let size = try signatureData.u32("certification data size")
            guard type == 6 else {
                throw EvidenceLayoutError("certification data type \(type), expected 6 (QE report certification data)")
            }
            var inner = ByteReader(bytes, from: signatureData.offset, to: signatureData.offset + size, what: "QE report certification data")
            _ = try signatureData.take(size, "QE report certification data")
            (qeReport, qeReportSignature, qeAuthData, pckChainPEM) = try Self.qeSection(&inner)
        }
        self.length = end
        self.trailing = bytes.count - end
    }

    private static func body(version: Int, teeType: Int, bytes: [UInt8]) throws -> Body {
        switch version {
        case 3:
            return .sgx
        case 4:
            guard teeType == 0 || teeType == teeTypeTDX else {
                throw EvidenceLayoutError(String(format: "TEE type 0x%x, expected 0x0 (SGX) or 0x81 (TDX)", teeType))
            }
            return teeType == teeTypeTDX ? .td10 : .sgx
        case 5:
            var descriptor = ByteReader(bytes, from: headerLength, what: "quote v5")
            let type = try descriptor.u16("body type")
            let size = try descriptor.u32("body size")
            guard let body = Body(rawValue: type), body.size == size else {
                throw EvidenceLayoutError("quote v5 body type \(type) with size \(size) is not SGX (1, 384), TD 1.0 (2, 584) or TD 1.5 (3, 648)")
            }
            guard (teeType == teeTypeTDX) == (body != .sgx) else {
                throw EvidenceLayoutError(String(format: "TEE type 0x%x does not match body type %d", teeType, type))
            }
            return body
        default:
            throw EvidenceLayoutError("quote version \(version), expected 3, 4 or 5")
        }
    }

    private static func qeSection(_ reader: inout ByteReader) throws -> ([UInt8], [UInt8], [UInt8], [UInt8]) {
        let report = try reader.take(384, "QE report")
        let signature = try reader.take(64, "QE report signature")
        let auth = try reader.take(try reader.u16("QE auth data size"), "QE auth data")
        let type = try reader.u16("certification data type")
        let size = try reader.u32("certification data size")
        guard type == 5 else {
            throw EvidenceLayoutError("certification data type \(type), expected 5 (PCK certificate chain, PEM)")
        }
        guard size <= maxCertificationData else {
            throw EvidenceLayoutError("PCK certificate chain of \(size) bytes exceeds \(maxCertificationData)")
        }
        var pem = try reader.take(size, "PCK certificate chain")
        while pem.last == 0 { pem.removeLast() }
        return (report, signature, auth, pem)
    }
}
