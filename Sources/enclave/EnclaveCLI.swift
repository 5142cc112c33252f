import ArgumentParser
import EnclaveClient
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `enclave`: the command-line client for an EnclaveOS server.
@main
struct EnclaveCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enclave",
        abstract: "Talk to an EnclaveOS server: load, call, list and unload WebAssembly component apps.",
        discussion: """
            The server's RA-TLS certificate is verified only with --verify (or by `enclave verify`); \
            without it, only use this against servers on networks you trust.
            """,
        subcommands: [Ping.self, Load.self, Call.self, List.self, Unload.self, Schema.self, Shell.self, Verify.self]
    )
}

/// Where to connect and how to print; shared by every subcommand.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Server host name or IP address.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "Server TCP port.")
    var port: Int = 8443

    @Option(name: .customLong("server-name"), help: "TLS SNI to send (an app's hostname selects its certificate).")
    var serverName: String?

    @Option(name: .customLong("protocol"), help: "Wire protocol: http (HTTP/1.1) or frames (length-prefixed JSON); the server speaks both on one port.")
    var wireProtocol: WireProtocol = .http

    @Flag(name: .long, help: "Print the raw inner JSON response instead of human-readable output.")
    var json = false

    @Flag(name: .long, help: "Verify the server's attested (RA-TLS) certificate first; refuse to talk to it if any check fails.")
    var verify = false

    @OptionGroup var expected: ExpectationOptions

    /// How to check the server: attested with `--verify` (implied by any expectation, policy or
    /// collateral option, so none is ever silently ignored), else none.
    func verification() throws -> TLSVerification {
        guard verify || expected.requested else { return .noVerification }
        return try expected.verification(binding: .deterministic)
    }
}

/// A subcommand that runs against a ``Session`` (its own, or the shell's).
protocol SessionCommand: ParsableCommand {
    var options: ConnectionOptions { get }
    /// Performs the command and prints its result; throws on any failure.
    func execute(in session: Session, json: Bool) throws
}

extension SessionCommand {
    /// Standalone run: connect, execute, and turn errors into a message on stderr + exit 1.
    func run() throws {
        do {
            let session = try Session.connect(options)
            defer { session.close() }
            try execute(in: session, json: options.json)
        } catch let error as ExitCode {
            throw error
        } catch {
            Terminal.printError(error)
            throw ExitCode.failure
        }
    }
}

/// Tiny stdout/stderr helpers (no Foundation needed).
enum Terminal {
    /// Writes `error: <message>` to stderr.
    static func printError(_ error: Error) {
        fputs("error: \(error)\n", stderr)
    }

    /// Whether standard input is an interactive terminal (prompts only make sense then).
    static var stdinIsTTY: Bool { isatty(0) != 0 }
}
