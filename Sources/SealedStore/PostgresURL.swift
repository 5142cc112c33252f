import Foundation

/// `--store postgres://user:password@host:port/database?sslmode=disable&pool_size=8`, parsed and
/// checked. Only what the PostgreSQL backend uses is accepted; anything else is an error naming
/// the part, so a typo never silently falls back to a default.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// How the connection to PostgreSQL is protected. PostgreSQL only ever holds ciphertext, so
    /// TLS protects the host's credentials and hides access patterns from the network, not the
    /// data (see docs/cluster.md).
    public enum TLSMode: String, Sendable, Equatable {
        /// Plain TCP (the default: the usual set-up is a database on a private network).
        case disable
        /// TLS, with the server's certificate checked against the system's trust anchors.
        case require
    }

    /// Most connections one server opens to the database.
    public static let maxPoolSize = 64

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// Connections opened at most (concurrent store operations beyond it wait).
    public var poolSize: Int
    /// Whether the node keeps opened values under read leases (`read_cache=on|off`); off: every
    /// read goes to the database.
    public var readCache: Bool

    /// Parses `text`.
    /// - Throws: `SealedStoreError.invalidInput` naming what is wrong.
    public init(parsing text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            throw Self.invalid("'\(Self.redacted(text))' is not a URL")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw Self.invalid("scheme '\(scheme)' is not postgres:// or postgresql://")
        }
        guard let host = components.host, !host.isEmpty else { throw Self.invalid("no host") }
        guard let user = components.user, !user.isEmpty else {
            throw Self.invalid("no user name (postgres://USER@HOST/DATABASE)")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw Self.invalid("no database name (postgres://USER@HOST/DATABASE)")
        }
        self.host = host
        self.port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw Self.invalid("port \(port) is out of range") }
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.tls = .disable
        self.poolSize = 8
        self.readCache = Self.readCacheByDefault
        for item in components.queryItems ?? [] {
            try apply(item)
        }
    }

    private mutating func apply(_ item: URLQueryItem) throws {
        switch item.name {
        case "sslmode":
            guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                throw Self.invalid("sslmode '\(item.value ?? "")' is not one of: disable, require")
            }
            tls = mode
        case "pool_size":
            guard let value = item.value.flatMap(Int.init), (1...Self.maxPoolSize).contains(value) else {
                throw Self.invalid("pool_size must be a number from 1 to \(Self.maxPoolSize)")
            }
            poolSize = value
        case "read_cache":
            switch item.value {
            case "on": readCache = true
            case "off": readCache = false
            default: throw Self.invalid("read_cache '\(item.value ?? "")' is not one of: on, off")
            }
        default:
            throw Self.invalid("unknown parameter '\(item.name)' (known: sslmode, pool_size, read_cache)")
        }
    }

    /// Whether `read_cache` is on when the URL does not say.
    public static let readCacheByDefault = true

    /// The URL without its password, for logs.
    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)&pool_size=\(poolSize)"
            + (readCache == Self.readCacheByDefault ? "" : "&read_cache=\(readCache ? "on" : "off")")
    }

    private static func invalid(_ why: String) -> SealedStoreError {
        .invalidInput("--store: \(why)")
    }

    /// `text` with any password replaced, so an error message never echoes it.
    private static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), let scheme = text.range(of: "://"),
              let colon = text[scheme.upperBound..<at].firstIndex(of: ":") else { return text }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
    }
}
