import Foundation
import SwiftASN1
import X509

/// An X.509 CRL (RFC 5280 §5) as Intel PCS serves it, read with SwiftASN1:
/// `CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }`.
struct RevocationList {
    static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]

    /// Who signed it.
    let issuer: DistinguishedName
    /// When it was issued.
    let thisUpdate: Date
    /// When it stops being current (nil when absent: such a CRL is never current).
    let nextUpdate: Date?
    /// Serial numbers of revoked certificates, as DER INTEGER content bytes.
    let revokedSerials: Set<[UInt8]>
    private let tbsBytes: [UInt8]
    private let signature: [UInt8]

    /// Parses DER. - Throws: ``EvidenceLayoutError`` for anything that is not a CRL.
    init(derEncoded der: [UInt8]) throws {
        let root = try DER.parse(der)
        let top = try DERFields.children(root, "CRL")
        guard top.count == 3 else { throw EvidenceLayoutError("CRL has \(top.count) top-level fields, expected 3") }
        var fields = try DERFields.children(top[0], "tbsCertList")[...]
        if fields.first?.identifier == .integer { fields = fields.dropFirst() }  // version
        guard fields.count >= 3 else { throw EvidenceLayoutError("tbsCertList is too short") }
        let algorithm = try DERFields.children(fields[fields.startIndex], "CRL signature algorithm")
        guard let oidNode = algorithm.first, try ASN1ObjectIdentifier(derEncoded: oidNode) == Self.ecdsaWithSHA256 else {
            throw EvidenceLayoutError("CRL is not signed with ecdsa-with-SHA256")
        }
        issuer = try DistinguishedName(derEncoded: fields[fields.startIndex + 1])
        thisUpdate = try DERFields.time(fields[fields.startIndex + 2])
        var rest = fields.dropFirst(3)
        if let next = rest.first, next.identifier == .utcTime || next.identifier == .generalizedTime {
            nextUpdate = try DERFields.time(next)
            rest = rest.dropFirst()
        } else {
            nextUpdate = nil
        }
        var serials = Set<[UInt8]>()
        if let revoked = rest.first, revoked.identifier == .sequence {
            for entry in try DERFields.children(revoked, "revokedCertificates") {
                guard let serial = try DERFields.children(entry, "revoked entry").first else { continue }
                serials.insert(try DERFields.primitive(serial, "revoked serial"))
            }
        }
        revokedSerials = serials
        tbsBytes = Array(top[0].encodedBytes)
        signature = try ASN1BitString(derEncoded: top[2]).bytes.map { $0 }
    }

    /// Whether `issuerCertificate` signed this CRL.
    func isSigned(by issuerCertificate: Certificate) -> Bool {
        issuer == issuerCertificate.subject
            && issuerCertificate.publicKey.isValidSignature(signature, for: tbsBytes, signatureAlgorithm: .ecdsaWithSHA256)
    }

    /// Whether `certificate`'s serial number is listed.
    func revokes(_ certificate: Certificate) -> Bool {
        revokedSerials.contains(Array(certificate.serialNumber.bytes))
    }
}
