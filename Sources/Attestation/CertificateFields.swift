import SwiftASN1

/// Reads fields from a certificate's DER exactly as encoded.
///
/// Report data hashes the SubjectPublicKeyInfo *as it appears in the certificate*;
/// taking the bytes from the DER (rather than re-serialising a parsed key) keeps
/// the verifier honest about what the client actually received.
enum CertificateFields {
    /// The SubjectPublicKeyInfo element of a certificate, DER, byte-for-byte.
    /// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
    /// TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature,
    ///                               issuer, validity, subject, subjectPublicKeyInfo, … }
    static func subjectPublicKeyInfoDER(certificateDER: [UInt8]) throws -> [UInt8] {
        let root = try DER.parse(certificateDER)
        guard case .constructed(let certChildren) = root.content,
              let tbs = certChildren.first(where: { _ in true }),
              case .constructed(let tbsChildren) = tbs.content
        else {
            throw ASN1Error.invalidASN1Object(reason: "certificate is not a SEQUENCE of SEQUENCE")
        }
        var fields = Array(tbsChildren)
        if let first = fields.first, first.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            fields.removeFirst()
        }
        // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
        guard fields.count >= 6 else {
            throw ASN1Error.invalidASN1Object(reason: "TBSCertificate has \(fields.count) fields, expected at least 6")
        }
        return Array(fields[5].encodedBytes)
    }
}
