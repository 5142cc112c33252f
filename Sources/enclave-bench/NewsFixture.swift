import Egress
import Foundation

/// The repository's HTTPS fixture (`tests/fixtures/news_server.py`, standing in for
/// https://www.lemonde.fr) in a child process, with a fresh test CA made by its `gen-certs`,
/// and an `HTTPSEgress` that trusts that CA and reaches the fixture as www.lemonde.fr.
final class NewsFixture {
    let egress: HTTPSEgress
    private let process: Process
    private let directory: String

    init(_ options: Options) throws {
        directory = try BenchServers.makeDataDirectory("news-pki")
        let script = options.path("tests/fixtures/news_server.py")
        let (status, _, err) = try WasmtimeBench.python([script, "gen-certs", directory])
        guard status == 0 else {
            throw BenchError("news_server.py gen-certs failed (\(status)): \(String(decoding: err, as: UTF8.self).suffix(300))")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "serve", "--cert", directory + "/leaf.pem", "--key", directory + "/leaf-key.pem"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // First line: `listening on 127.0.0.1:<port>`.
        var line = [UInt8]()
        while let byte = output.fileHandleForReading.readData(ofLength: 1).first, byte != UInt8(ascii: "\n") { line.append(byte) }
        let text = String(decoding: line, as: UTF8.self)
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            process.terminate()
            throw BenchError("news_server.py did not report its port: \(text)")
        }
        do {
            egress = try HTTPSEgress(configuration: EgressConfiguration(
                caBundlePath: directory + "/ca.pem",
                resolve: try EgressConfiguration.parseResolve(["www.lemonde.fr:443=127.0.0.1:\(port)"])))
        } catch {
            process.terminate()
            throw error
        }
    }

    func stop() {
        try? egress.syncShutdown()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
