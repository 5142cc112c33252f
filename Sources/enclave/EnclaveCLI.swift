import ArgumentParser
import BuildInfo
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
            The server's RA-TLS certificate is verified only with --verify (or by `enclave verify`, \
            and always by `enclave console`); without it, only use this against servers on \
            networks you trust.

            Environment: ENCLAVE_HOST and ENCLAVE_PORT set the default server (else \
            127.0.0.1:8443); ENCLAVE_TOKEN the operator token (loads, replaces, unloads, shutdown); \
            ENCLAVE_HISTORY the shell's history file (else ~/.enclave_history).

            \(ExitStatus.summary)
            """,
        version: BuildInfo.versionLine,
        subcommands: [
            Ping.self, Load.self, Call.self, List.self, Unload.self, Schema.self, Shell.self, Verify.self,
            New.self, Console.self, Shutdown.self,
        ]
    )

    /// The subcommand names, for "did you mean" and shell completion.
    static var commandNames: [String] {
        configuration.subcommands.map { $0._commandName } + ["help"]
    }

    /// Runs the command line; an unknown command gets a suggestion and the usage status (64)
    /// instead of ArgumentParser's generic "unexpected argument".
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, !first.hasPrefix("-"), !commandNames.contains(first) {
            Terminal.writeError("error: \(Suggestions.unknownCommand(first, among: commandNames))\n")
            Terminal.writeError("Run 'enclave --help' for the list of commands.\n")
            Terminal.exit(.usage)
        }
        main(arguments)
    }
}

/// A subcommand that runs against a ``Session`` (its own, or the shell's).
protocol SessionCommand: ParsableCommand {
    var options: ConnectionOptions { get }
    /// Performs the command and prints its result; throws on any failure.
    func execute(in session: Session, json: Bool) throws
}

extension SessionCommand {
    /// Standalone run: connect, execute, and turn errors into a message on stderr and the
    /// documented exit status.
    func run() throws {
        do {
            let session = try Session.connect(options)
            defer { session.close() }
            try execute(in: session, json: options.json)
        } catch let error as ExitCode {
            throw error
        } catch {
            throw Terminal.fail(error)
        }
    }
}

/// Tiny stdout/stderr helpers (no Foundation needed).
enum Terminal {
    /// Writes `text` to standard error, unbuffered (as `fputs` to `stderr`; C's `stderr` is a
    /// mutable global that Swift 6 does not let concurrent code read).
    static func writeError(_ text: String) {
        var text = text
        text.withUTF8 { writeAll(UnsafeRawBufferPointer($0), to: 2) }
    }

    /// Writes `error: <message>` to stderr.
    static func printError(_ error: Error) {
        Terminal.writeError("error: \(Terminal.message(error))\n")
    }

    /// Prints `error` and returns the exit code its ``ExitStatus`` documents.
    static func fail(_ error: Error) -> ExitCode {
        printError(error)
        return ExitStatus.of(error).exitCode
    }

    /// The text of an error; ArgumentParser's own errors through its formatter.
    static func message(_ error: Error) -> String {
        if error is ValidationError { return EnclaveCLI.message(for: error) }
        return "\(error)"
    }

    /// Ends the process with `status` (outside ArgumentParser's own error handling).
    static func exit(_ status: ExitStatus) -> Never {
        #if canImport(Glibc)
        Glibc.exit(status.rawValue)
        #else
        Darwin.exit(status.rawValue)
        #endif
    }

    /// Whether standard input is an interactive terminal (prompts only make sense then).
    static var stdinIsTTY: Bool { isatty(0) != 0 }
}

/// Writes all of `bytes` to file descriptor `fd`, retrying after signals; stops at an error.
/// (At file scope: inside `Terminal`, `write` would name its instance method.)
private func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32) {
    var rest = bytes
    while !rest.isEmpty {
        let written = write(fd, rest.baseAddress, rest.count)
        if written < 0, errno == EINTR { continue }
        guard written > 0 else { return }
        rest = UnsafeRawBufferPointer(rebasing: rest[written...])
    }
}
