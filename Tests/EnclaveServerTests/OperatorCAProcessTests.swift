import Crypto
import Foundation
import X509
import XCTest

/// `enclave-os --ca-cert --ca-key` (the real binary): the leaf is signed by the operator's
/// intermediate and the server sends `[leaf, intermediate]`, so a client that trusts only the
/// root above the intermediate (Python's ssl, OpenSSL) completes a verified handshake, and the
/// Python verifier checks the chain with `ca_cert`.
final class OperatorCAProcessTests: XCTestCase {
    func testTheServedChainVerifiesToTheRoot() async throws {
        let directory = try ServerHarness.makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let rootKey = P256.Signing.PrivateKey(), intermediateKey = P256.Signing.PrivateKey()
        let rootName = try DistinguishedName { CommonName("Operator Root (test)") }
        let intermediateName = try DistinguishedName { CommonName("Operator Intermediate (test)") }
        func ca(_ subject: DistinguishedName, key: P256.Signing.PrivateKey, issuer: DistinguishedName, signer: P256.Signing.PrivateKey) throws -> Certificate {
            try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                notValidBefore: Date().addingTimeInterval(-3600), notValidAfter: Date().addingTimeInterval(86_400 * 30),
                issuer: issuer, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 1))
                    Critical(KeyUsage(keyCertSign: true))
                },
                issuerPrivateKey: .init(signer))
        }
        let root = try ca(rootName, key: rootKey, issuer: rootName, signer: rootKey)
        let intermediate = try ca(intermediateName, key: intermediateKey, issuer: rootName, signer: rootKey)
        let rootPath = directory + "/root.pem", caPath = directory + "/ca.pem", keyPath = directory + "/ca-key.pem"
        try root.serializeAsPEM().pemString.write(toFile: rootPath, atomically: true, encoding: .utf8)
        try intermediate.serializeAsPEM().pemString.write(toFile: caPath, atomically: true, encoding: .utf8)
        try intermediateKey.pemRepresentation.write(toFile: keyPath, atomically: true, encoding: .utf8)

        let server = try await EnclaveOSProcess.start(dataDirectory: directory + "/data",
                                                      arguments: ["--attestation", "simulated", "--ca-cert", caPath, "--ca-key", keyPath])
        defer { server.stop() }
        let script = #"""
        import json, socket, ssl, sys
        sys.path.insert(0, sys.argv[4])
        import enclaveos_verify as ev
        context = ssl.create_default_context(cafile=sys.argv[2])   # trusts the root only
        context.check_hostname = False
        with socket.create_connection(("127.0.0.1", int(sys.argv[1]))) as raw:
            with context.wrap_socket(raw) as tls:
                der = tls.getpeercert(binary_form=True)
        ca = ev.load_certificate(open(sys.argv[3], "rb").read())
        chained = ev.verify_certificate(der, allow_simulated=True, ca_cert=ca)
        plain = ev.verify_certificate(der, allow_simulated=True)
        print(json.dumps({"chained": [c.name for c in chained.failures], "chain": chained.check("certificate.chain").passed,
                          "plain": [c.name for c in plain.failures]}))
        """#
        let python = GuestFiles.repositoryRoot.appendingPathComponent("python").path
        let output = try RATLSProcess.run(["python3", "-c", script, String(server.port), rootPath, caPath, python])
        XCTAssertEqual(output.status, 0, output.stderr + server.log)
        let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], output.stdout)
        XCTAssertEqual(result["chained"] as? [String], [], "verified handshake to the root, then the chain check")
        XCTAssertEqual(result["chain"] as? Bool, true)
        XCTAssertEqual(result["plain"] as? [String], ["certificate.self-signature"], "a self-signed leaf is no longer served")
        XCTAssertTrue(server.log.contains("leaves signed by the operator CA"), server.log)
    }
}
