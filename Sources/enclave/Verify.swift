import ArgumentParser
import Attestation
import EnclaveClient
import Foundation

/// `enclave verify`: fetch the server's RA-TLS certificate and check it, printing every check.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify a server's attested (RA-TLS) certificate; exits non-zero if any check fails.",
        discussion: """
            Prints one PASS/FAIL line per check, what is NOT checked, and a verdict. Without \
            --nonce/--challenge the certificate must be bound to its minute-truncated NotBefore \
            (deterministic mode). --nonce HEX or --challenge sends ClientHello extension 0xFFBB \
            (through the system OpenSSL 3) and requires a certificate bound to that nonce.
            """
    )

    @Option(name: .long, help: "Server host name or IP address.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "Server TCP port.")
    var port: Int = 8443

    @Option(name: .long, help: "TLS SNI to send: an app's hostname selects that app's certificate.")
    var sni: String?

    @Option(name: .long, help: "Challenge nonce to send, 1-64 bytes as hex.")
    var nonce: String?

    @Flag(name: .long, help: "Send a fresh random 32-byte challenge nonce.")
    var challenge = false

    @OptionGroup var expected: ExpectationOptions

    @Option(name: .customLong("save-pem"), help: "Also write the fetched certificate to this file (PEM).")
    var savePEM: String?

    func validate() throws {
        if nonce != nil && challenge { throw ValidationError("give --nonce or --challenge, not both") }
        if let nonce {
            guard let bytes = Hex.decode(nonce), (1 ... 64).contains(bytes.count) else {
                throw ValidationError("--nonce must be 1-64 bytes of hex, got '\(nonce)'")
            }
        }
    }

    func run() throws {
        let challengeNonce: [UInt8]? = challenge ? (0 ..< 32).map { _ in UInt8.random(in: 0 ... 255) } : nonce.flatMap(Hex.decode)
        let expectations = try expected.expectations(binding: challengeNonce.map { .nonce($0) } ?? .deterministic)
        let der: [UInt8]
        do {
            if let challengeNonce {
                print("challenge nonce: \(Hex.encode(challengeNonce))")
                der = try ChallengeClient.fetchCertificate(host: host, port: port, serverName: sni, nonce: challengeNonce)
            } else {
                der = try PeerCertificateFetcher.fetch(host: host, port: port, serverName: sni)
            }
        } catch {
            Terminal.printError(error)
            throw ExitCode.failure
        }
        if let savePEM {
            let pem = "-----BEGIN CERTIFICATE-----\n" + Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed]) + "\n-----END CERTIFICATE-----\n"
            try pem.write(toFile: savePEM, atomically: true, encoding: .utf8)
        }
        let report = AttestationVerifier(expectations: expectations).verify(certificateDER: der)
        print("certificate from \(host):\(port)\(sni.map { " (SNI \($0))" } ?? ""), \(der.count) bytes")
        print(report.description)
        if !report.passed { throw ExitCode.failure }
    }
}
