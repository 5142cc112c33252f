import ArgumentParser
import EnclaveClient
import EnclaveProtocol
import Foundation

/// `enclave shell`: an interactive loop over one connection.
struct Shell: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Interactive session: run commands, or send raw JSON management messages.",
        discussion: """
            Reads commands from stdin (prompt only on a terminal). On a terminal, lines can be \
            edited (arrows, Home/End, Ctrl-A/E/K/U/W) and recalled (up/down), Tab completes \
            command names, and the history is kept in $ENCLAVE_HISTORY (default ~/.enclave_history). \
            Type 'help' inside the shell.
            """
    )
    @OptionGroup var options: ConnectionOptions

    static let help = """
        commands (same syntax as the command line, connection options are ignored):
          ping
          load FILE --name N [--hostname H] [--key HEX] [--base64]
          call APP 'FUNC(ARGS...)'         a call in WAVE, e.g. call demo 'add(2, 40)'
          call APP FUNC [ARGS...]          args typed by the signature, or TYPE:VALUE
          list
          unload N
          schema APP
          {"wasm_list":{}}                 any raw JSON management message
          help
          quit | exit
        add --json to a command for the raw response
        """

    func run() throws {
        let interactive = Terminal.stdinIsTTY
        let session: Session
        do {
            session = try Session.connect(options)
        } catch {
            throw Terminal.fail(error)
        }
        defer { session.close() }
        if interactive { print("connected to \(session.connection.host):\(session.connection.port); 'help' lists commands") }

        let editor = LineEditor(historyPath: Self.historyPath(), completions: Self.commands)
        var failures = 0
        while true {
            let line: String
            if let editor {
                guard let read = editor.readLine(prompt: "enclave> ") else { break }
                editor.remember(read)
                line = read
            } else {
                if interactive { print("enclave> ", terminator: "") }
                guard let read = readLine() else { break }
                line = read
            }
            switch runLine(line, session: session) {
            case .quit: return try finishOrThrow(failures: failures, interactive: interactive)
            case .failed: failures += 1
            case .ok: break
            }
        }
        if interactive && editor == nil { print() }
        try finishOrThrow(failures: failures, interactive: interactive)
    }

    /// What the shell understands as a first word.
    static let commands = ["ping", "load", "call", "list", "unload", "schema", "shutdown", "help", "quit", "exit"]

    /// `$ENCLAVE_HISTORY`, else `~/.enclave_history`; nil when neither can be found.
    static func historyPath() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["ENCLAVE_HISTORY"], !path.isEmpty { return path }
        return environment["HOME"].map { $0 + "/.enclave_history" }
    }

    enum LineResult { case ok, failed, quit }

    /// Runs one line; errors are printed and do not end the session. A line that found the
    /// connection closed by the server (its idle timeout) runs once more on a new connection.
    func runLine(_ line: String, session: Session) -> LineResult {
        let trimmed = line.trimmingWhitespace()
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return .ok }
        do {
            return try runLineOnce(trimmed, session: session)
        } catch where session.reconnect(after: error) {
            do {
                return try runLineOnce(trimmed, session: session)
            } catch {
                return report(error)
            }
        } catch {
            return report(error)
        }
    }

    private func runLineOnce(_ trimmed: String, session: Session) throws -> LineResult {
        do {
            if trimmed.hasPrefix("{") {
                let message = try JSON.parse(Array(trimmed.utf8))
                print(try session.connection.management(message).serializedString)
                return .ok
            }
            let words = try ShellWords.split(trimmed)
            switch words.first {
            case "quit", "exit": return .quit
            case "help", "?": print(Self.help); return .ok
            case "shell": throw EnclaveClientError.invalidArgument("already in the shell")
            default: break
            }
            guard let name = words.first,
                  let subcommand = EnclaveCLI.configuration.subcommands.first(where: { $0._commandName == name }) else {
                let word = words.first ?? ""
                throw EnclaveClientError.invalidArgument(Suggestions.unknownCommand(word, among: Self.commands) + "; type 'help'")
            }
            if words.contains("--help") || words.contains("-h") {
                print(EnclaveCLI.helpMessage(for: subcommand))
                return .ok
            }
            guard let sessionCommand = try EnclaveCLI.parseAsRoot(words) as? SessionCommand else {
                throw EnclaveClientError.invalidArgument("'\(name)' cannot run inside the shell")
            }
            try sessionCommand.execute(in: session, json: options.json || sessionCommand.options.json)
            return .ok
        } catch let error as CleanExit {
            // --help inside the shell: ArgumentParser reports it as a "clean exit" carrying the text.
            print(EnclaveCLI.message(for: error))
            return .ok
        }
    }

    /// Prints what a line failed with.
    private func report(_ error: Error) -> LineResult {
        switch error {
        case let error as EnclaveClientError:
            Terminal.printError(error)
            return .failed
        case let error as JSONError:
            Terminal.printError(EnclaveClientError.invalidArgument("not valid JSON: \(error)"))
            return .failed
        default:
            Terminal.printError(EnclaveClientError.invalidArgument(EnclaveCLI.message(for: error)))
            return .failed
        }
    }

    /// Piped input: a failed command makes the whole run fail, so scripts notice.
    private func finishOrThrow(failures: Int, interactive: Bool) throws {
        guard !interactive && failures > 0 else { return }
        Terminal.printError(EnclaveClientError.invalidArgument("\(failures) command(s) failed"))
        throw ExitStatus.remoteError.exitCode
    }
}

/// Splits a shell line into words: whitespace separated, with '…' and "…" quoting and
/// backslash escapes (outside single quotes), like a POSIX shell without expansions.
enum ShellWords {
    static func split(_ line: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\" && open == "\"" {
                    escaped = true
                } else {
                    current.append(character)
                }
                continue
            }
            switch character {
            case "\\": escaped = true; inWord = true
            case "'", "\"": quote = character; inWord = true
            case " ", "\t":
                if inWord { words.append(current); current = ""; inWord = false }
            default: current.append(character); inWord = true
            }
        }
        guard quote == nil else { throw EnclaveClientError.invalidArgument("unterminated \(quote.map(String.init) ?? "") quote") }
        guard !escaped else { throw EnclaveClientError.invalidArgument("line ends with a backslash") }
        if inWord { words.append(current) }
        return words
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and line breaks.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
