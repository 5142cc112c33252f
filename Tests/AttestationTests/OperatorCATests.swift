import Crypto
import Foundation
import SwiftASN1
import X509
import XCTest

@testable import Attestation

/// `--ca-cert/--ca-key`: leaves signed by an operator CA, verified as a chain by clients that
/// pass that CA, refused (with the reason) by clients that expect a self-signed leaf.
final class OperatorCATests: XCTestCase {
    let now = Date(timeIntervalSince1970: 1_735_787_059)

    /// A CA certificate (basicConstraints CA:TRUE) and its key, as PEM.
    static func makeCA(name: String, key: P256.Signing.PrivateKey = P256.Signing.PrivateKey(), isCA: Bool = true) throws -> (String, String) {
        let subject = try DistinguishedName { CommonName(name) }
        let extensions = try Certificate.Extensions {
            Critical(isCA ? BasicConstraints.isCertificateAuthority(maxPathLength: 0) : BasicConstraints.notCertificateAuthority)
            KeyUsage(keyCertSign: true)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: Date(timeIntervalSince1970: 1_700_000_000), notValidAfter: Date(timeIntervalSince1970: 1_900_000_000),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: .init(key))
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    func testLeavesSignedByTheCAVerifyAsAChainOnly() throws {
        let (caPEM, keyPEM) = try Self.makeCA(name: "Operator Intermediate")
        let issuer = try CertificateIssuer(certificatePEM: caPEM, privateKeyPEM: keyPEM)
        let builder = AttestedCertificateBuilder(provider: SimulatedProvider(), issuer: issuer)
        let facts = ServerFacts(egressCABundleHash: Fixtures.egressHash, apps: [], hostnames: ["localhost"])
        let built = try builder.build(.server(facts), mode: .deterministic(now: now))
        XCTAssertEqual(built.chainDER, [issuer.certificateDER], "served as [leaf, CA]")
        let leaf = try Certificate(derEncoded: built.certificateDER)
        XCTAssertEqual(leaf.issuer, issuer.certificate.subject)

        var expectations = VerificationExpectations(binding: .deterministic, allowSimulated: true, now: now)
        expectations.caCertificateDER = issuer.certificateDER
        let chained = AttestationVerifier(expectations: expectations).verify(certificateDER: built.certificateDER)
        XCTAssertTrue(chained.passed, chained.description)
        XCTAssertEqual(chained.check(named: "certificate.chain")?.passed, true)

        // A client expecting a self-signed leaf is told why it fails and what to pass.
        let plain = AttestationVerifier(expectations: .init(binding: .deterministic, allowSimulated: true, now: now))
            .verify(certificateDER: built.certificateDER)
        XCTAssertEqual(plain.failures.map(\.name), ["certificate.self-signature"])
        XCTAssertTrue(plain.check(named: "certificate.self-signature")?.detail.contains("--ca-cert") ?? false)

        // Another CA with the same name does not verify it.
        let (otherPEM, _) = try Self.makeCA(name: "Operator Intermediate")
        expectations.caCertificateDER = try CertificateIssuer.certificateDER(pemOrDER: Array(otherPEM.utf8))
        let wrong = AttestationVerifier(expectations: expectations).verify(certificateDER: built.certificateDER)
        XCTAssertEqual(wrong.failures.map(\.name), ["certificate.chain"])
    }

    func testUnusableCAsAreRefusedWithTheReason() throws {
        let (caPEM, _) = try Self.makeCA(name: "CA")
        let otherKey = P256.Signing.PrivateKey().pemRepresentation
        XCTAssertThrowsError(try CertificateIssuer(certificatePEM: caPEM, privateKeyPEM: otherKey)) {
            XCTAssertEqual("\($0)", "operator CA: the CA key does not belong to the CA certificate")
        }
        let key = P256.Signing.PrivateKey()
        let (leafPEM, leafKey) = try Self.makeCA(name: "not a CA", key: key, isCA: false)
        XCTAssertThrowsError(try CertificateIssuer(certificatePEM: leafPEM, privateKeyPEM: leafKey)) {
            XCTAssertTrue("\($0)".contains("not a certificate authority"), "\($0)")
        }
        XCTAssertThrowsError(try CertificateIssuer(certificatePEM: "nope", privateKeyPEM: leafKey))
    }
}
