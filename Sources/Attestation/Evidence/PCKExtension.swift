import SwiftASN1
import X509

/// What the PCK certificate's SGX extension (`1.2.840.113741.1.13.1`, Intel "SGX PCK Certificate
/// and CRL Profile") says about the platform: FMSPC and PCE-ID select the TCB info, the 16 TCB
/// component SVNs and PCESVN select the TCB level.
struct PCKExtension {
    static let oid: ASN1ObjectIdentifier = [1, 2, 840, 113741, 1, 13, 1]

    /// Family-model-stepping-platform-custom SKU (6 bytes).
    let fmspc: [UInt8]
    /// PCE identifier (2 bytes).
    let pceID: [UInt8]
    /// SGX TCB component SVNs 1…16.
    let components: [Int]
    /// PCE security version.
    let pceSVN: Int

    /// Reads the extension. - Throws: ``EvidenceLayoutError`` when it is absent or malformed.
    init(_ certificate: Certificate) throws {
        guard let ext = certificate.extensions[oid: Self.oid] else {
            throw EvidenceLayoutError("PCK certificate has no SGX extension \(Self.oid)")
        }
        var fields: [ASN1ObjectIdentifier: ASN1Node] = [:]
        for (oid, value) in try DERFields.oidValuePairs(try DER.parse(Array(ext.value)), "SGX extension") {
            fields[oid] = value
        }
        func field(_ last: UInt) throws -> ASN1Node {
            guard let node = fields[try ASN1ObjectIdentifier(elements: Self.oid.oidComponents + [last])] else {
                throw EvidenceLayoutError("SGX extension lacks \(Self.oid).\(last)")
            }
            return node
        }
        fmspc = try ASN1OctetString(derEncoded: try field(4)).bytes.map { $0 }
        pceID = try ASN1OctetString(derEncoded: try field(3)).bytes.map { $0 }
        var svns: [UInt: Int] = [:]
        for (oid, value) in try DERFields.oidValuePairs(try field(2), "SGX extension TCB") where value.identifier == .integer {
            if let last = oid.oidComponents.last { svns[last] = try DERFields.integer(value, "TCB component \(oid)") }
        }
        guard (1 ... 17).allSatisfy({ svns[UInt($0)] != nil }) else {
            throw EvidenceLayoutError("SGX extension TCB lacks some of components 1-16 or PCESVN")
        }
        components = (1 ... 16).map { svns[UInt($0)] ?? 0 }
        pceSVN = svns[17] ?? 0
        guard fmspc.count == 6, pceID.count == 2 else {
            throw EvidenceLayoutError("SGX extension FMSPC is \(fmspc.count) bytes, PCE-ID \(pceID.count) (expected 6 and 2)")
        }
    }
}
