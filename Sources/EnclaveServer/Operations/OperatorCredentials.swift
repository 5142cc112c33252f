import Crypto
import Foundation

/// The operators a server accepts: each a name (for the log) and the SHA-256 of a secret token.
/// Tokens themselves are not kept: a presented token is hashed and compared with every digest
/// without an early exit, so neither a token's content nor which operator matched shows in the
/// response time.
public struct OperatorCredentials: Sendable {
    private struct Entry: Sendable {
        let name: String
        let digest: [UInt8]
    }

    private let entries: [Entry]

    /// Tokens shorter than this are refused: an operator token guards loading code into the
    /// enclave and destroying apps' keys, and a short one can be guessed.
    public static let minimumTokenBytes = 16
    /// Operator names: short, printable, so the log stays readable.
    public static let maxNameBytes = 64

    /// No operators: management is open (loopback only, or with `--insecure-open-management`)
    /// and nobody can shut the server down over the wire.
    public init() {
        entries = []
    }

    /// Operators from `(name, token)` pairs.
    /// - Throws: `OperatorCredentialError` for an empty or repeated name, or a short token.
    public init(_ operators: [(name: String, token: String)]) throws(OperatorCredentialError) {
        var entries: [Entry] = []
        for (name, token) in operators {
            guard !name.isEmpty, name.utf8.count <= Self.maxNameBytes,
                  name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) else {
                throw .badName(name)
            }
            guard !entries.contains(where: { $0.name == name }) else { throw .duplicateName(name) }
            guard token.utf8.count >= Self.minimumTokenBytes else { throw .shortToken(operator: name) }
            guard !token.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) else { throw .tokenWithSpaces(operator: name) }
            entries.append(Entry(name: name, digest: Array(SHA256.hash(data: Array(token.utf8)))))
        }
        self.entries = entries
    }

    /// These operators and `other`'s together (names must stay unique).
    public func merging(_ other: OperatorCredentials) throws(OperatorCredentialError) -> OperatorCredentials {
        for entry in other.entries where entries.contains(where: { $0.name == entry.name }) {
            throw .duplicateName(entry.name)
        }
        return OperatorCredentials(entries: entries + other.entries)
    }

    private init(entries: [Entry]) {
        self.entries = entries
    }

    /// True when no operator is configured.
    public var isEmpty: Bool { entries.isEmpty }

    /// The operators' names, in the order given.
    public var names: [String] { entries.map(\.name) }

    /// The name of the operator whose token `token` is, or nil. Every digest is compared in
    /// full, whether or not an earlier one matched.
    func operatorName(presenting token: String) -> String? {
        let presented = Array(SHA256.hash(data: Array(token.utf8)))
        var matched: String?
        for entry in entries {
            var difference: UInt8 = 0
            for index in 0..<presented.count { difference |= presented[index] ^ entry.digest[index] }
            if difference == 0 { matched = entry.name }
        }
        return matched
    }

    // MARK: - Reading a tokens file

    /// Reads operators from a file of `name:token` lines (blank lines and `#` comments ignored),
    /// which must not be readable by group or others.
    /// - Throws: `OperatorCredentialError` naming the file and line.
    public static func read(file path: String) throws(OperatorCredentialError) -> OperatorCredentials {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw .unreadableFile(path, "\(error.localizedDescription)")
        }
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw .fileTooOpen(path, mode: mode)
        }
        guard let data = FileManager.default.contents(atPath: path),
              let text = String(data: data, encoding: .utf8) else {
            throw .unreadableFile(path, "not readable as UTF-8 text")
        }
        var operators: [(name: String, token: String)] = []
        // "\r\n" is one Character in Swift: split on both line ends, so a file written on
        // Windows does not leave a "\r" at the end of every token.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for (index, rawLine) in lines.enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else { throw .malformedLine(path, line: index + 1) }
            operators.append((String(line[..<colon]).trimmingCharacters(in: .whitespaces),
                              String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        guard !operators.isEmpty else { throw .noOperators(path) }
        do {
            return try OperatorCredentials(operators)
        } catch {
            throw .inFile(path, error)
        }
    }
}

/// Why operator credentials were refused at start; every case says what to fix.
public indirect enum OperatorCredentialError: Error, CustomStringConvertible, Sendable {
    case badName(String)
    case duplicateName(String)
    case shortToken(operator: String)
    case tokenWithSpaces(operator: String)
    case unreadableFile(String, String)
    case fileTooOpen(String, mode: Int)
    case malformedLine(String, line: Int)
    case noOperators(String)
    case inFile(String, OperatorCredentialError)

    public var description: String {
        switch self {
        case .badName(let name):
            return "operator name '\(LogText.field(name, maxBytes: 80))' must be 1...\(OperatorCredentials.maxNameBytes) printable ASCII characters without spaces or ':'"
        case .duplicateName(let name):
            return "operator name '\(name)' is given twice"
        case .shortToken(let name):
            return "the token of operator '\(name)' is shorter than \(OperatorCredentials.minimumTokenBytes) bytes; use a long random one (openssl rand -hex 32)"
        case .tokenWithSpaces(let name):
            return "the token of operator '\(name)' contains spaces or control characters"
        case .unreadableFile(let path, let why):
            return "cannot read operator tokens file \(path): \(why)"
        case .fileTooOpen(let path, let mode):
            return "operator tokens file \(path) is readable by others (mode \(String(mode, radix: 8))); chmod 600 it"
        case .malformedLine(let path, let line):
            return "operator tokens file \(path), line \(line): expected name:token"
        case .noOperators(let path):
            return "operator tokens file \(path) names no operator"
        case .inFile(let path, let error):
            return "operator tokens file \(path): \(error)"
        }
    }
}
