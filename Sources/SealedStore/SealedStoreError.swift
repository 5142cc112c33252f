/// Every failure the sealed store reports.
///
/// `description` is the text meant for an operator or, for the `encryption_key` cases, the exact
/// compat text a client of the original server expects (docs/protocol.md §3). Integrity failures never carry
/// plaintext: they name what was being opened, not what it contained.
public enum SealedStoreError: Error, Equatable, CustomStringConvertible, Sendable {
    /// BYOK key text contains a non-hex character or has an odd length (compat text).
    case invalidKeyHex
    /// BYOK key text decodes to the wrong number of bytes (compat text).
    case invalidKeyLength(got: Int)
    /// A stored value, name or app record failed authentication: tampered, truncated, swapped
    /// between keys or apps, or sealed under another key. The string says which item.
    case integrity(String)
    /// An app name, logical key or value is empty, too long, or otherwise unacceptable.
    case invalidInput(String)
    /// The storage backend failed; `operation` says what we were doing (PostgreSQL operations
    /// start with "PostgreSQL:"), `message` is the backend's text, `code` SQLite's result code
    /// (0 where there is none: PostgreSQL, or a failure of ours).
    case backend(operation: String, code: Int32, message: String)
    /// The platform sealing key could not be created or read; the string says why and what to fix.
    case sealingKey(String)
    /// A `SealedKV` handle was used after its app was removed (its keys are gone).
    case appRemoved(String)
    /// An app with this name is already in the registry.
    case appAlreadyExists(String)
    /// A write would take the app past its storage quota; `detail` names the limit.
    case quotaExceeded(app: String, detail: String)

    /// Human-readable text; for the key errors, the exact compat strings.
    public var description: String {
        switch self {
        case .invalidKeyHex:
            return "encryption_key: invalid hex encoding"
        case .invalidKeyLength(let got):
            return "encryption_key: expected 32 bytes, got \(got)"
        case .integrity(let what):
            return "sealed store integrity error: \(what) failed authentication "
                + "(tampered, truncated, moved, or sealed under another key)"
        case .invalidInput(let why):
            return "sealed store: invalid input: \(why)"
        case .backend(let operation, let code, let message):
            // SQLite's code 0 is SQLITE_OK, never a failure: 0 means there is no SQLite code.
            let sqliteCode = code == 0 ? "" : " (SQLite code \(code))"
            return "sealed store backend: \(operation) failed\(sqliteCode): \(message)"
        case .sealingKey(let why):
            return "sealing key: \(why)"
        case .appRemoved(let name):
            return "sealed store: app '\(name)' was removed; its key is destroyed and this handle is closed"
        case .appAlreadyExists(let name):
            return "app '\(name)' is already loaded"
        case .quotaExceeded(let app, let detail):
            return "sealed store: app '\(app)' is at its quota: \(detail)"
        }
    }
}
