#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A key press, decoded from the terminal's bytes.
enum Key: Equatable {
    case character(Unicode.Scalar)
    case control(UInt8)  // Ctrl-letter as the letter's code (A = 1 …)
    case enter, backspace, delete, tab
    case left, right, up, down, home, end
    case unknown
}

/// Reads and decodes one key from standard input: UTF-8 characters, control keys and the
/// VT100/xterm escape sequences of arrows, Home, End and Delete.
enum KeyReader {
    static func next() -> Key? {
        guard let byte = readByte() else { return nil }
        switch byte {
        case 13, 10: return .enter
        case 127, 8: return .backspace
        case 9: return .tab
        case 27: return escapeSequence()
        case 1...26: return .control(byte)
        case 0x20..<0x7F: return .character(Unicode.Scalar(byte))
        case 0xC0...0xF7: return utf8(lead: byte)
        default: return .unknown
        }
    }

    private static func escapeSequence() -> Key {
        guard let kind = readByte() else { return .unknown }
        guard kind == UInt8(ascii: "[") || kind == UInt8(ascii: "O") else { return .unknown }
        guard let code = readByte() else { return .unknown }
        switch code {
        case UInt8(ascii: "A"): return .up
        case UInt8(ascii: "B"): return .down
        case UInt8(ascii: "C"): return .right
        case UInt8(ascii: "D"): return .left
        case UInt8(ascii: "H"): return .home
        case UInt8(ascii: "F"): return .end
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            // ESC [ n ~ (possibly with ;modifiers): 1/7 Home, 4/8 End, 3 Delete.
            var number = Int(code - UInt8(ascii: "0"))
            while let next = readByte() {
                if next == UInt8(ascii: "~") { break }
                if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(next), number < 1000 { number = number * 10 + Int(next - UInt8(ascii: "0")) }
                if (0x40...0x7E).contains(next) { return .unknown }
            }
            switch number {
            case 1, 7: return .home
            case 4, 8: return .end
            case 3: return .delete
            default: return .unknown
            }
        default: return .unknown
        }
    }

    private static func utf8(lead: UInt8) -> Key {
        let count = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1
        var bytes = [lead]
        for _ in 0..<count {
            guard let byte = readByte() else { return .unknown }
            bytes.append(byte)
        }
        guard let scalar = String(validating: bytes, as: UTF8.self)?.unicodeScalars.first else { return .unknown }
        return .character(scalar)
    }

    private static func readByte() -> UInt8? {
        var byte: UInt8 = 0
        while true {
            let count = read(0, &byte, 1)
            if count == 1 { return byte }
            if count < 0 && errno == EINTR { continue }
            return nil
        }
    }
}

/// The line being edited: its text, the cursor, and the place in the history.
struct EditState {
    enum Outcome { case `continue`, done(String), endOfInput }

    let prompt: String
    private var line: [Unicode.Scalar] = []
    private var cursor = 0
    private var history: [String]
    private var historyIndex: Int
    /// The line being typed before moving into the history, restored when coming back down.
    private var draft: [Unicode.Scalar] = []

    init(prompt: String, history: [String]) {
        self.prompt = prompt
        self.history = history
        historyIndex = history.count
    }

    mutating func apply(_ key: Key, completions: [String]) -> Outcome {
        switch key {
        case .enter: return .done(text)
        case .character(let scalar): line.insert(scalar, at: cursor); cursor += 1
        case .backspace: if cursor > 0 { cursor -= 1; line.remove(at: cursor) }
        case .delete: if cursor < line.count { line.remove(at: cursor) }
        case .left, .control(2): cursor = max(0, cursor - 1)
        case .right, .control(6): cursor = min(line.count, cursor + 1)
        case .home, .control(1): cursor = 0
        case .end, .control(5): cursor = line.count
        case .up, .control(16): recall(by: -1)
        case .down, .control(14): recall(by: 1)
        case .tab: complete(among: completions)
        case .control(3):  // Ctrl-C: drop the line
            Terminal.write("^C\r\n")
            line = []
            cursor = 0
            historyIndex = history.count
        case .control(4):  // Ctrl-D: end of input on an empty line, else delete
            if line.isEmpty { return .endOfInput }
            if cursor < line.count { line.remove(at: cursor) }
        case .control(11): line.removeSubrange(cursor...)  // Ctrl-K
        case .control(21): line.removeSubrange(..<cursor); cursor = 0  // Ctrl-U
        case .control(23): deleteWordBack()  // Ctrl-W
        case .control(12): Terminal.write("\u{1B}[H\u{1B}[2J")  // Ctrl-L
        default: return .continue
        }
        refresh()
        return .continue
    }

    var text: String { String(String.UnicodeScalarView(line)) }

    /// Redraws the prompt and line and puts the cursor in place.
    func refresh() {
        let column = prompt.unicodeScalars.count + cursor
        Terminal.write("\r" + prompt + text + "\u{1B}[K\r" + (column > 0 ? "\u{1B}[\(column)C" : ""))
    }

    private mutating func recall(by step: Int) {
        let target = historyIndex + step
        guard target >= 0, target <= history.count else { return }
        if historyIndex == history.count { draft = line }
        historyIndex = target
        line = target == history.count ? draft : Array(history[target].unicodeScalars)
        cursor = line.count
    }

    private mutating func deleteWordBack() {
        var start = cursor
        while start > 0, line[start - 1] == " " { start -= 1 }
        while start > 0, line[start - 1] != " " { start -= 1 }
        line.removeSubrange(start..<cursor)
        cursor = start
    }

    /// Completes the first word from `candidates` when exactly one starts with it.
    private mutating func complete(among candidates: [String]) {
        guard !line[..<cursor].contains(" ") else { return }
        let typed = String(String.UnicodeScalarView(line[..<cursor]))
        let matches = candidates.filter { $0.hasPrefix(typed) }
        guard matches.count == 1, let match = matches.first else {
            if matches.count > 1 { Terminal.write("\r\n" + matches.joined(separator: "  ") + "\r\n") }
            return
        }
        line.replaceSubrange(..<cursor, with: Array((match + " ").unicodeScalars))
        cursor = match.unicodeScalars.count + 1
    }
}
