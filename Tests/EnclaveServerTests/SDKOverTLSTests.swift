import Attestation
import Crypto
import EnclaveClient
import EnclaveProtocol
import EnclaveServer
import Foundation
import SwiftASN1
import X509
import XCTest

/// The platform SDK end to end over RA-TLS, from a C component whose SDK imports are glued by
/// hand (Guests/c-sdk): an attestation extension appears in the app's own certificate (also
/// after a restart), sealed data opens under the same code, and a persisted signing key signs in
/// a later call (checked with PyPI `cryptography`).
final class SDKOverTLSTests: XCTestCase {
    private static let guest = "Guests/c-sdk/c-sdk.wasm"

    /// A RA-TLS server (simulated evidence) over `dataDirectory`.
    private func withServer<T>(_ dataDirectory: String, _ body: (Int, RATLSIdentity) async throws -> T) async throws -> T {
        let registry = AppRegistry()
        let identity = try RATLSIdentity(provider: SimulatedProvider(), egressCABundleHash: [UInt8](repeating: 0, count: 32), registry: registry)
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.dataDirectory = dataDirectory
        configuration.log = { _ in }
        let server = EnclaveServer(configuration: configuration, identity: identity, registry: registry)
        let address = try await server.start()
        let port = try XCTUnwrap(address.port)
        do {
            let result = try await body(port, identity)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    private func bytes(_ value: [UInt8]) -> JSON { .object(["type": .string("bytes"), "value": .array(value.map { .uint(UInt64($0)) })]) }
    private func string(_ value: String) -> JSON { .object(["type": .string("string"), "value": .string(value)]) }

    /// The single result's `ok` or `err` payload.
    private func outcome(_ returns: [JSON]) throws -> (ok: Bool, payload: JSON?) {
        let result = try XCTUnwrap(returns.first?["value"])
        if let ok = result["ok"] { return (true, ok) }
        return (false, result["err"])
    }

    private func byteValues(_ json: JSON?) throws -> [UInt8] {
        try XCTUnwrap(json?["value"]?.arrayValue).map { UInt8(try XCTUnwrap($0.numberValue?.uint64)) }
    }

    private func extensionValue(_ der: [UInt8], arc: UInt) throws -> [UInt8]? {
        let certificate = try Certificate(derEncoded: der)
        let oid: ASN1ObjectIdentifier = try ASN1ObjectIdentifier(elements: [1, 3, 6, 1, 4, 1, 65230, 3, 5, arc])
        return certificate.extensions[oid: oid].map { Array($0.value) }
    }

    func testAttestationSealingAndPersistedKeysOverRATLS() async throws {
        let data = try TestDataDirectory()
        let code = try GuestFiles.bytes(Self.guest)
        let commitment = Array(SHA256.hash(data: Array("the configured secret".utf8)))
        try await withServer(data.path) { port, _ in
            let connection = try EnclaveConnection.connect(host: "127.0.0.1", port: port)
            defer { connection.close() }
            _ = try connection.load(name: "sdk", bytes: code, hostname: "sdk.enclave", base64: true)
            _ = try connection.load(name: "twin", bytes: code, hostname: "twin.enclave", base64: true)
            XCTAssertNil(try self.extensionValue(try PeerCertificateFetcher.fetch(host: "127.0.0.1", port: port, serverName: "sdk.enclave"), arc: 5))

            let attested = try self.outcome(try connection.call(app: "sdk", function: "attest", params: [.object(["type": "u32", "value": .uint(5)]), self.bytes(commitment)]))
            XCTAssertTrue(attested.ok, "\(attested)")
            let der = try PeerCertificateFetcher.fetch(host: "127.0.0.1", port: port, serverName: "sdk.enclave")
            XCTAssertEqual(try self.extensionValue(der, arc: 5), commitment, "the app's value, raw, under 65230.3.5.5")
            let twin = try PeerCertificateFetcher.fetch(host: "127.0.0.1", port: port, serverName: "twin.enclave")
            XCTAssertNil(try self.extensionValue(twin, arc: 5), "another app's certificate does not carry it")
            let tooLong = try self.outcome(try connection.call(app: "sdk", function: "attest", params: [.object(["type": "u32", "value": .uint(6)]), self.bytes([UInt8](repeating: 1, count: 4097))]))
            XCTAssertEqual(tooLong.ok, false)
            XCTAssertEqual(tooLong.payload?["value"]?.stringValue, "attestation extension value exceeds 4096 bytes")

            // Sealing: bound to the code, so the twin (same bytes) opens it; other AAD does not.
            let secret = Array("sealed to this code".utf8), aad = Array("v1".utf8)
            let roundTrip = try self.outcome(try connection.call(app: "sdk", function: "seal-round-trip", params: [self.bytes(secret), self.bytes(aad)]))
            XCTAssertEqual(try self.byteValues(roundTrip.payload), secret)
            let sealed = try self.byteValues(try self.outcome(try connection.call(app: "sdk", function: "seal", params: [self.bytes(secret), self.bytes(aad)])).payload)
            let opened = try self.outcome(try connection.call(app: "twin", function: "unseal", params: [self.bytes(sealed), self.bytes(aad)]))
            XCTAssertEqual(try self.byteValues(opened.payload), secret)
            let wrongAAD = try self.outcome(try connection.call(app: "twin", function: "unseal", params: [self.bytes(sealed), self.bytes([])]))
            XCTAssertEqual(wrongAAD.payload?["value"]?.stringValue, "unsealing failed (not sealed by this app's code, other AAD, or tampered data)")
            let empty = try self.outcome(try connection.call(app: "sdk", function: "seal-round-trip", params: [self.bytes([]), self.bytes([])]))
            XCTAssertEqual(try self.byteValues(empty.payload), [])

            // A key made and persisted in one call signs in a later one.
            let made = try self.outcome(try connection.call(app: "sdk", function: "make-key", params: [self.string("device")]))
            let publicKey = try self.byteValues(made.payload)
            let message = Array("signed in a later call".utf8)
            let signed = try self.outcome(try connection.call(app: "sdk", function: "sign-with", params: [self.string("device"), self.bytes(message)]))
            let signature = try self.byteValues(signed.payload)
            let check = try RATLSProcess.run(["python3", "-c", """
                import sys
                from cryptography.hazmat.primitives import hashes
                from cryptography.hazmat.primitives.asymmetric import ec
                key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes.fromhex(sys.argv[1]))
                key.verify(bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), ec.ECDSA(hashes.SHA256()))
                print("verified")
                """, Hex.encode(publicKey), Hex.encode(signature), Hex.encode(message)])
            XCTAssertEqual(check.stdout, "verified\n", check.stderr)
            // The twin has its own store: the key is not there.
            let elsewhere = try self.outcome(try connection.call(app: "twin", function: "sign-with", params: [self.string("device"), self.bytes(message)]))
            XCTAssertEqual(elsewhere.payload?["value"]?.stringValue, "no persisted key with that name")
        }
        // After a restart the extension is served again, from the app's sealed store.
        try await withServer(data.path) { port, _ in
            let der = try PeerCertificateFetcher.fetch(host: "127.0.0.1", port: port, serverName: "sdk.enclave")
            XCTAssertEqual(try self.extensionValue(der, arc: 5), commitment)
        }
    }
}
