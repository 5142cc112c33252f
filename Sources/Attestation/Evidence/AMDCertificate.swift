import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// An AMD SEV certificate (ARK, ASK or VCEK), read with SwiftASN1 because swift-certificates
/// does not parse RSASSA-PSS signatures. Only what chain checking needs is kept; the serial
/// number is skipped unread, so Milan VCEKs' non-positive serials are accepted as AMD ships them.
struct AMDCertificate {
    static let rsassaPSS: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 10]
    static let mgf1: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 8]
    static let sha384: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 2]

    let der: [UInt8]
    let issuer: DistinguishedName
    let subject: DistinguishedName
    let notBefore: Date
    let notAfter: Date
    /// SubjectPublicKeyInfo, DER.
    let spki: [UInt8]
    /// Raw extension values (the extnValue OCTET STRING contents) by OID.
    let extensions: [ASN1ObjectIdentifier: [UInt8]]
    private let tbs: [UInt8]
    private let signature: [UInt8]
    private let signatureIsPSS384: Bool

    /// Parses DER. - Throws: ``EvidenceLayoutError`` for anything that is not such a certificate.
    init(derEncoded der: [UInt8]) throws {
        self.der = der
        let top = try DERFields.children(try DER.parse(der), "certificate")
        guard top.count == 3 else { throw EvidenceLayoutError("certificate has \(top.count) top-level fields, expected 3") }
        var fields = try DERFields.children(top[0], "tbsCertificate")[...]
        if fields.first?.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) { fields = fields.dropFirst() }
        guard fields.count >= 6 else { throw EvidenceLayoutError("tbsCertificate has \(fields.count) fields, expected at least 6") }
        let base = fields.startIndex  // serial number at base, unread
        issuer = try DistinguishedName(derEncoded: fields[base + 2])
        let validity = try DERFields.children(fields[base + 3], "validity")
        guard validity.count == 2 else { throw EvidenceLayoutError("validity has \(validity.count) fields") }
        notBefore = try DERFields.time(validity[0])
        notAfter = try DERFields.time(validity[1])
        subject = try DistinguishedName(derEncoded: fields[base + 4])
        spki = Array(fields[base + 5].encodedBytes)
        var extensions: [ASN1ObjectIdentifier: [UInt8]] = [:]
        if let wrapper = fields.dropFirst(6).first(where: { $0.identifier == ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific) }),
           let list = try DERFields.children(wrapper, "extensions").first {
            for entry in try DERFields.children(list, "extensions") {
                let parts = try DERFields.children(entry, "extension")
                guard let oidNode = parts.first, let valueNode = parts.last else { continue }
                extensions[try ASN1ObjectIdentifier(derEncoded: oidNode)] = try ASN1OctetString(derEncoded: valueNode).bytes.map { $0 }
            }
        }
        self.extensions = extensions
        tbs = Array(top[0].encodedBytes)
        signatureIsPSS384 = Self.isPSS384(top[1])
        signature = try ASN1BitString(derEncoded: top[2]).bytes.map { $0 }
    }

    /// nil when `issuer` signed this certificate with RSASSA-PSS, SHA-384, MGF1-SHA-384 and a
    /// 48-byte salt (what AMD's ARK and ASK use); else why not.
    func problemVerifying(by issuer: AMDCertificate) -> String? {
        guard self.issuer == issuer.subject else {
            return "\(name) is issued by \(self.issuer), not by \(issuer.name)"
        }
        guard signatureIsPSS384 else { return "\(name) is not signed with RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48" }
        guard let key = try? _RSA.Signing.PublicKey(derRepresentation: issuer.spki) else {
            return "\(issuer.name) has no RSA key of 2048 bits or more"
        }
        // _CryptoExtras' PSS uses MGF1 with the digest's hash and a salt of the digest's length.
        let valid = key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA384.hash(data: tbs), padding: .PSS)
        return valid ? nil : "signature of \(name) by \(issuer.name) does not verify (RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48)"
    }

    /// The subject's common name.
    var name: String { IntelChain.commonName(subject) }

    /// An extension holding a DER INTEGER (the VCEK's SPL values).
    func integerExtension(_ oid: ASN1ObjectIdentifier) -> Int? {
        guard let raw = extensions[oid], let node = try? DER.parse(raw) else { return nil }
        return try? Int(derEncoded: node)
    }

    /// The AlgorithmIdentifier is RSASSA-PSS with exactly SHA-384, MGF1-SHA-384, salt 48,
    /// trailer field 1 (RFC 4055 §3.1).
    private static func isPSS384(_ node: ASN1Node) -> Bool {
        guard let parts = try? DERFields.children(node, "signature algorithm"), parts.count == 2,
              (try? ASN1ObjectIdentifier(derEncoded: parts[0])) == rsassaPSS,
              let params = try? DERFields.children(parts[1], "RSASSA-PSS parameters")
        else { return false }
        var hash: ASN1ObjectIdentifier?, mask: ASN1ObjectIdentifier?, maskHash: ASN1ObjectIdentifier?
        var salt = 20, trailer = 1
        for param in params {
            guard let inner = try? DERFields.children(param, "parameter"), let value = inner.first else { return false }
            switch param.identifier.tagNumber {
            case 0: hash = (try? DERFields.children(value, "hash"))?.first.flatMap { try? ASN1ObjectIdentifier(derEncoded: $0) }
            case 1:
                let mgf = (try? DERFields.children(value, "mask generation")) ?? []
                mask = mgf.first.flatMap { try? ASN1ObjectIdentifier(derEncoded: $0) }
                maskHash = mgf.dropFirst().first.flatMap { (try? DERFields.children($0, "MGF1 hash"))?.first }.flatMap { try? ASN1ObjectIdentifier(derEncoded: $0) }
            case 2: salt = (try? DERFields.integer(value, "salt length")) ?? -1
            case 3: trailer = (try? DERFields.integer(value, "trailer field")) ?? -1
            default: return false
            }
        }
        return hash == sha384 && mask == mgf1 && maskHash == sha384 && salt == 48 && trailer == 1
    }
}
