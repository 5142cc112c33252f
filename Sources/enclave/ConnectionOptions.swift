import ArgumentParser
import EnclaveClient
import Foundation

/// Where to connect and how to print; shared by every subcommand that talks to a server.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Server host name or IP address (default: $ENCLAVE_HOST, else 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Server TCP port (default: $ENCLAVE_PORT, else 8443).")
    var port: Int?

    @Option(name: .long, help: ArgumentHelp("Operator token (default: $ENCLAVE_TOKEN), for servers that require one to load, replace, unload and shut down.", valueName: "TOKEN"))
    var token: String?

    @Option(name: .customLong("server-name"), help: "TLS SNI to send (an app's hostname selects its certificate).")
    var serverName: String?

    @Option(name: .customLong("protocol"), help: "Wire protocol: http (HTTP/1.1) or frames (length-prefixed JSON); the server speaks both on one port.")
    var wireProtocol: WireProtocol = .http

    @Flag(name: .long, help: "Print the raw inner JSON response instead of human-readable output.")
    var json = false

    @Flag(name: .long, help: "Verify the server's attested (RA-TLS) certificate first; refuse to talk to it if any check fails.")
    var verify = false

    @OptionGroup var expected: ExpectationOptions

    /// The server to talk to: options first, then the environment, then 127.0.0.1:8443.
    func endpoint() throws -> Endpoint {
        try Endpoint(host: host, port: port, token: token)
    }

    /// How to check the server: attested with `--verify` (implied by any expectation, policy or
    /// collateral option, so none is ever silently ignored), else none.
    func verification() throws -> TLSVerification {
        guard verify || expected.requested else { return .noVerification }
        return try expected.verification(binding: .deterministic)
    }
}

/// A server address and operator token, resolved from options and the environment.
struct Endpoint {
    /// `ENCLAVE_HOST`, `ENCLAVE_PORT`, `ENCLAVE_TOKEN`.
    static let hostVariable = "ENCLAVE_HOST", portVariable = "ENCLAVE_PORT", tokenVariable = "ENCLAVE_TOKEN"
    static let defaultHost = "127.0.0.1", defaultPort = 8443

    let host: String
    let port: Int
    let token: String?

    /// Options win over the environment; an empty variable counts as unset.
    /// - Throws: `ValidationError` naming a port (option or variable) that is not 0-65535.
    init(host: String?, port: Int?, token: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func variable(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        self.host = host ?? variable(Self.hostVariable) ?? Self.defaultHost
        if let port {
            guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
            self.port = port
        } else if let text = variable(Self.portVariable) {
            guard let value = Int(text), (0...65_535).contains(value) else {
                throw ValidationError("\(Self.portVariable) must be a port number 0-65535, got '\(text)'")
            }
            self.port = value
        } else {
            self.port = Self.defaultPort
        }
        self.token = token ?? variable(Self.tokenVariable)
    }
}
