/// Where the plain-HTTP `/metrics` listener binds (`--metrics-listen HOST:PORT`).
public struct MetricsEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    /// 0 lets the kernel pick one (tests); `EnclaveServer.metricsAddress` says which.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[IPv6]:PORT`.
    public init(parsing text: String) throws(MetricsEndpointError) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65_535).contains(port) else {
            throw .malformed(text)
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains("["), !host.contains("]") else { throw .malformed(text) }
        self.init(host: host, port: port)
    }

    /// Whether only this machine can reach it (127.0.0.0/8, ::1, localhost).
    public var isLoopback: Bool {
        ManagementExposure.isLoopback(host)
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// A `--metrics-listen` value that is not `HOST:PORT`.
public enum MetricsEndpointError: Error, CustomStringConvertible {
    case malformed(String)

    public var description: String {
        switch self {
        case .malformed(let text): return "expected HOST:PORT (e.g. 127.0.0.1:9464), got '\(text)'"
        }
    }
}
