#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small line editor for the interactive shell, over termios (no readline dependency):
/// cursor movement (←/→, Home/End, Ctrl-A/E/B/F), deletion (Backspace, Delete, Ctrl-D/K/U/W),
/// history (↑/↓, Ctrl-P/N) kept in a file, Tab completion of the first word, Ctrl-C to drop
/// the line and Ctrl-L to clear the screen. The terminal is in raw mode only while a line is
/// being read, so command output and Ctrl-C during a command behave as usual.
final class LineEditor {
    /// Lines kept in memory and in the history file.
    static let historyLimit = 1000

    private let historyPath: String?
    private var history: [String] = []
    private let completions: [String]

    /// An editor for standard input, or nil when standard input is not a terminal.
    init?(historyPath: String?, completions: [String]) {
        guard isatty(0) != 0, isatty(1) != 0 else { return nil }
        self.historyPath = historyPath
        self.completions = completions
        if let historyPath, let text = try? Self.read(historyPath) {
            history = Array(text.split(separator: "\n").map(String.init).suffix(Self.historyLimit))
        }
    }

    /// Reads one line after `prompt`; nil at end of input (Ctrl-D on an empty line).
    func readLine(prompt: String) -> String? {
        var saved = termios()
        guard tcgetattr(0, &saved) == 0 else { return Swift.readLine() }
        var raw = saved
        raw.c_iflag &= ~tcflag_t(ICRNL | IXON | BRKINT | INPCK | ISTRIP)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        tcsetattr(0, TCSAFLUSH, &raw)
        defer { tcsetattr(0, TCSAFLUSH, &saved) }
        var state = EditState(prompt: prompt, history: history)
        state.refresh()
        while let key = KeyReader.next() {
            switch state.apply(key, completions: completions) {
            case .continue: continue
            case .done(let line):
                Terminal.write("\r\n")
                return line
            case .endOfInput:
                Terminal.write("\r\n")
                return nil
            }
        }
        Terminal.write("\r\n")
        return nil
    }

    /// Adds a line to the history (not blank lines, not a repeat of the last one) and appends
    /// it to the history file (created 0600).
    func remember(_ line: String) {
        guard !line.trimmingWhitespace().isEmpty, history.last != line else { return }
        history.append(line)
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
        guard let historyPath else { return }
        let descriptor = open(historyPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        Terminal.write(line + "\n", to: descriptor)
    }

    private static func read(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[..<count]
            if bytes.count > 4 << 20 { break }  // a history file is small; never read a huge one whole
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Terminal {
    /// Writes `text` to a file descriptor (standard output by default) at once, unbuffered.
    static func write(_ text: String, to descriptor: Int32 = 1) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            #if canImport(Glibc)
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            #else
            let written = bytes[offset...].withUnsafeBytes { Darwin.write(descriptor, $0.baseAddress, $0.count) }
            #endif
            if written <= 0 { return }
            offset += written
        }
    }
}
