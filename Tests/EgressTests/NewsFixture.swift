import Crypto
import Foundation
import X509

/// A test PKI made at test time: a trusted CA, a rogue CA, and a leaf for `www.lemonde.fr`
/// signed by the trusted CA, written as PEM files to a fresh temporary directory.
struct TestPKI {
    let directory: URL
    let caPEMPath: String
    let rogueCAPEMPath: String
    let leafPEMPath: String
    let leafKeyPath: String
    let caDER: [UInt8]

    static func make(hostname: String = "www.lemonde.fr") throws -> TestPKI {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("egress-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let now = Date()
        let (ca, caKey) = try makeCA(name: "EnclaveOS egress test CA", now: now)
        let (rogue, _) = try makeCA(name: "Rogue test CA", now: now)
        let leafKey = P256.Signing.PrivateKey()
        let leaf = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(leafKey.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 86400,
            issuer: ca.subject, subject: try DistinguishedName { CommonName(hostname) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName(hostname)])
            },
            issuerPrivateKey: .init(caKey))
        func write(_ text: String, _ name: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        return TestPKI(
            directory: directory,
            caPEMPath: try write(try ca.serializeAsPEM().pemString + "\n", "ca.pem"),
            rogueCAPEMPath: try write(try rogue.serializeAsPEM().pemString + "\n", "rogue-ca.pem"),
            leafPEMPath: try write(try leaf.serializeAsPEM().pemString + "\n", "leaf.pem"),
            leafKeyPath: try write(leafKey.pemRepresentation + "\n", "leaf-key.pem"),
            caDER: try ca.serializeAsPEM().derBytes)
    }

    private static func makeCA(name: String, now: Date) throws -> (Certificate, P256.Signing.PrivateKey) {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name) }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 86400,
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key))
        return (certificate, key)
    }
}

/// `tests/fixtures/news_server.py serve` in a child process, on 127.0.0.1 and a free port.
final class NewsServerProcess {
    let process = Process()
    let port: Int

    enum StartError: Error, CustomStringConvertible {
        case noPort(String)
        var description: String {
            switch self {
            case .noPort(let output): return "news_server.py did not report its port; output: \(output)"
            }
        }
    }

    /// The repository's fixture script, found from this file (symlinks resolved, so a throwaway
    /// package that links `Tests/EgressTests` still finds it).
    static var scriptPath: String {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tests/fixtures/news_server.py").path
    }

    init(pki: TestPKI, rootStatus: Int = 200) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Self.scriptPath, "serve", "--cert", pki.leafPEMPath, "--key", pki.leafKeyPath,
            "--root-status", String(rootStatus),
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // The first line is `listening on 127.0.0.1:<port>`; a loaded machine can take seconds.
        var text = ""
        let deadline = Date() + 30
        while !text.contains("\n"), Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first, let colon = line.lastIndex(of: ":"),
              let port = Int(line[line.index(after: colon)...])
        else {
            process.terminate()
            throw StartError.noPort(text)
        }
        self.port = port
    }

    /// SIGTERM, then SIGKILL if the fixture is still alive after 3 s: a test run never hangs here.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date() + 3
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
