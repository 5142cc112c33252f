/// Why the server could not open, use or restore its sealed store. Each text names the path or
/// app concerned and, where there is one, the fix.
public enum PersistenceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `--data-dir` is unusable: not a directory, not creatable, or not writable.
    case dataDirectory(path: String, reason: String)
    /// The store inside a usable data directory failed to open (sealing key file, SQLite file).
    case storeUnavailable(path: String, reason: String)
    /// The stored app records could not be read at start; starting anyway would silently drop apps.
    case restoreFailed(path: String, reason: String)

    /// Operator-facing text.
    public var description: String {
        switch self {
        case .dataDirectory(let path, let reason):
            return "data directory '\(path)' is unusable: \(reason). "
                + "Pass --data-dir with a directory this user can create or write to."
        case .storeUnavailable(let path, let reason):
            return "cannot open the sealed store in '\(path)': \(reason)"
        case .restoreFailed(let path, let reason):
            return "cannot restore the apps stored in '\(path)': \(reason). "
                + "Refusing to start rather than lose them; restore the data directory (including its sealing key) from a backup, "
                + "or start with an empty --data-dir"
        }
    }
}
