import ArgumentParser
import Attestation
import EnclaveClient
import EnclaveProtocol
import Foundation
import NIOCore

/// `enclave console`: a web page on 127.0.0.1, served by this process, over a verified
/// connection to the server.
struct Console: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a web console on 127.0.0.1: attestation report, apps, a form per export, load and unload.",
        discussion: """
            The console talks to the server over RA-TLS and verifies its certificate before \
            every connection (as --verify does; give --allow-simulated for a simulated server, \
            and any other expectation option), so the browser never has to trust a certificate \
            it cannot check. Open the printed URL: it carries a random token that every request \
            of the page must show, so other web pages cannot use the console. Stop it with Ctrl-C.
            """
    )

    @Option(name: .customLong("listen-port"), help: "Port on 127.0.0.1 to serve the console on (0 picks a free one).")
    var listenPort: Int = 0

    @OptionGroup var options: ConnectionOptions

    func validate() throws {
        guard (0...65_535).contains(listenPort) else { throw ValidationError("--listen-port must be between 0 and 65535") }
    }

    func run() throws {
        let endpoint = try options.endpoint()
        let expectations = try options.expected.expectations(binding: .deterministic)
        let verification = try options.expected.verification(binding: .deterministic)
        let backend = ConsoleBackend(target: .init(host: endpoint.host, port: endpoint.port, serverName: options.serverName,
                                                   verification: verification, expectations: expectations))
        // Verify once before serving, so a wrong address or a failing server is said at once.
        do {
            let report = try backend.attestation()
            if !report.passed {
                Terminal.printError(AttestationRefused.failed(report))
                Terminal.printError(ConsoleError("the console starts anyway to show the report; it refuses every other request"))
            }
        } catch {
            throw Terminal.fail(error)
        }
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let server: (channel: Channel, port: Int)
        do {
            server = try ConsoleHTTPServer.start(port: listenPort) { port in ConsoleAPI(backend: backend, token: token, port: port) }
        } catch {
            Terminal.printError(error)
            throw ExitStatus.usage.exitCode
        }
        let url = "http://127.0.0.1:\(server.port)/#token=\(token)"
        if options.json {
            print(JSON.object(["url": .string(url), "server": .string("\(endpoint.host):\(endpoint.port)")]).serializedString)
        } else {
            print("console for \(endpoint.host):\(endpoint.port) at \(url)")
            print("(Ctrl-C stops it)")
        }
        fflush(nil)  // all streams: `print` above is buffered
        try server.channel.closeFuture.wait()
        backend.close()
    }
}
