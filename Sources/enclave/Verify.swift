import ArgumentParser
import Attestation
import EnclaveClient
import EnclaveProtocol
import Foundation

/// `enclave verify`: fetch the server's RA-TLS certificate (or read raw evidence) and check it,
/// printing every check.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify a server's attested (RA-TLS) certificate, or raw hardware evidence; exits non-zero if any check fails.",
        discussion: """
            Prints one PASS/FAIL line per check, what is NOT checked, and a verdict. Without \
            --nonce/--challenge the certificate must be bound to its minute-truncated NotBefore \
            (deterministic mode). --nonce HEX or --challenge sends ClientHello extension 0xFFBB \
            (through the system OpenSSL 3) and requires a certificate bound to that nonce. \
            Hardware evidence (SGX/TDX quotes, SEV-SNP reports) is verified to the vendor roots \
            with the collateral of --collateral DIR, at --at TIME (default now), under --policy. \
            --evidence FILE verifies a raw quote or report instead of contacting a server.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Verify this raw SGX/TDX quote or SEV-SNP report instead of a server's certificate.", valueName: "FILE"))
    var evidence: String?

    @Option(name: .long, help: ArgumentHelp("Verification time, YYYY-MM-DDTHH:MM:SSZ (default: now).", valueName: "TIME"))
    var at: String?

    @Option(name: .long, help: "Server host name or IP address (default: $ENCLAVE_HOST, else 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Server TCP port (default: $ENCLAVE_PORT, else 8443).")
    var port: Int?

    @Flag(name: .long, help: "Print the report as JSON (checks, measurements, what is not checked, the verdict).")
    var json = false

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
        if let at, Self.time(at) == nil { throw ValidationError("--at must be YYYY-MM-DDTHH:MM:SSZ (UTC), got '\(at)'") }
        if evidence != nil && (nonce != nil || challenge || sni != nil) {
            throw ValidationError("--evidence verifies a file: --nonce, --challenge and --sni do not apply")
        }
        if let nonce {
            guard let bytes = Hex.decode(nonce), (1 ... 64).contains(bytes.count) else {
                throw ValidationError("--nonce must be 1-64 bytes of hex, got '\(nonce)'")
            }
        }
    }

    func run() throws {
        let time = at.flatMap(Self.time)
        if let evidence {
            try verifyEvidence(file: evidence, at: time ?? .now)
            return
        }
        let endpoint = try Endpoint(host: host, port: port, token: nil)
        let (host, port) = (endpoint.host, endpoint.port)
        let challengeNonce: [UInt8]? = challenge ? (0 ..< 32).map { _ in UInt8.random(in: 0 ... 255) } : nonce.flatMap(Hex.decode)
        var expectations = try expected.expectations(binding: challengeNonce.map { .nonce($0) } ?? .deterministic, at: time)
        let der: [UInt8]
        do {
            if let challengeNonce {
                if !json { print("challenge nonce: \(Hex.encode(challengeNonce))") }
                der = try ChallengeClient.fetchCertificate(host: host, port: port, serverName: sni, nonce: challengeNonce)
            } else {
                der = try PeerCertificateFetcher.fetch(host: host, port: port, serverName: sni)
            }
        } catch {
            throw Terminal.fail(error)
        }
        if let savePEM {
            let pem = "-----BEGIN CERTIFICATE-----\n" + Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed]) + "\n-----END CERTIFICATE-----\n"
            try pem.write(toFile: savePEM, atomically: true, encoding: .utf8)
        }
        // The certificate is judged at the time it arrived (unless --at): a challenge-bound
        // certificate is minted during the handshake, so a time taken before connecting can
        // precede its NotBefore on a slow link or a busy machine.
        if time == nil { expectations.now = .now }
        var report = AttestationVerifier(expectations: expectations).verify(certificateDER: der)
        if let appraiser = try expected.appraiser() {
            if let hardware = AttestationVerifier.hardwareEvidence(certificateDER: der) {
                appraiser.appraise(evidence: hardware, into: &report)
            } else {
                report.append(.init(name: "remote-appraisal", passed: false, detail: "the certificate carries no hardware evidence to appraise"))
            }
        }
        if json {
            var object = report.jsonObject
            object.append("host", .string(host))
            object.append("port", .int(Int64(port)))
            object.append("sni", sni.map(JSON.string) ?? .null)
            object.append("certificate_bytes", .int(Int64(der.count)))
            object.append("challenge_nonce", challengeNonce.map { .string(Hex.encode($0)) } ?? .null)
            print(JSON.object(object).serializedString)
        } else {
            print("certificate from \(host):\(port)\(sni.map { " (SNI \($0))" } ?? ""), \(der.count) bytes")
            print(report.description)
        }
        if !report.passed { throw ExitStatus.verificationFailed.exitCode }
    }

    /// `--evidence FILE`: the same hardware checks as for a certificate's evidence, on a raw file.
    private func verifyEvidence(file: String, at time: Date) throws {
        let bytes: [UInt8]
        do {
            bytes = try CollateralFile.read(file, limit: EvidenceVerifier.maxEvidenceSize)
        } catch {
            Terminal.printError(error)
            throw ExitStatus.usage.exitCode
        }
        let collateral: EvidenceVerifier.Collateral = expected.collateral.map { .directory($0) } ?? .none
        var policy = try expected.evidencePolicy()
        if let hex = expectReportData {
            guard let data = Hex.decode(hex) else { throw ValidationError("--expect-report-data must be hex") }
            policy.reportData = data
        }
        var report = EvidenceVerifier(collateral: collateral, time: time, policy: policy).verify(evidence: bytes)
        if let appraiser = try expected.appraiser() {
            appraiser.appraise(evidence: bytes, into: &report)
        }
        if json {
            var object = report.jsonObject
            object.append("evidence", .string(file))
            object.append("evidence_bytes", .int(Int64(bytes.count)))
            object.append("time", .string(Self.iso(time)))
            print(JSON.object(object).serializedString)
        } else {
            print("evidence \(file), \(bytes.count) bytes, verified at \(Self.iso(time))")
            print(report.description)
        }
        if !report.passed { throw ExitStatus.verificationFailed.exitCode }
    }

    @Option(name: .customLong("expect-report-data"), help: ArgumentHelp("Required REPORTDATA of raw evidence (--evidence), as hex.", valueName: "HEX"))
    var expectReportData: String?

    private static func time(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    private static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
