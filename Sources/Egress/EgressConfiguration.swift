import NIOCore

/// Where a `HOST:PORT` of the resolve map really connects to.
public struct EgressResolveTarget: Equatable, Hashable, Sendable {
    /// An IP address (or a name resolved normally).
    public var host: String
    /// The TCP port to connect to.
    public var port: Int

    /// Creates a target.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}

/// Settings of the HTTPS egress client, fixed when the server starts.
public struct EgressConfiguration: Sendable {
    /// The Mozilla bundles of common distributions, tried in order when no bundle is configured.
    public static let systemBundleCandidates = [
        "/etc/ssl/certs/ca-certificates.crt",  // Debian, Ubuntu, Alpine, Gramine images
        "/etc/pki/tls/certs/ca-bundle.crt",  // Fedora, RHEL
        "/etc/ssl/cert.pem",  // macOS, some BSDs
    ]

    /// PEM file of trust anchors (`--egress-ca-bundle`); nil uses the system's Mozilla bundle.
    public var caBundlePath: String?
    /// curl `--resolve`-style overrides: key `host:port` (host lower-cased) → where to connect.
    /// TLS still verifies the certificate against the original host name.
    public var resolve: [String: EgressResolveTarget]
    /// Response bodies larger than this fail with `response body exceeds N bytes`.
    public var maxResponseBodyBytes: Int
    /// Request bodies larger than this are refused before connecting.
    public var maxRequestBodyBytes: Int
    /// At most this many request headers, of at most `maxRequestHeaderBytes` in total.
    public var maxRequestHeaders: Int
    /// Total size cap of request header names and values.
    public var maxRequestHeaderBytes: Int
    /// TCP connect (and name resolution) timeout.
    public var connectTimeout: TimeAmount
    /// Time limit of a whole request, from the call to the last body byte.
    public var totalTimeout: TimeAmount

    /// Creates a configuration; the defaults are the caps in docs/sdk.md.
    public init(
        caBundlePath: String? = nil,
        resolve: [String: EgressResolveTarget] = [:],
        maxResponseBodyBytes: Int = 2 * 1024 * 1024,
        maxRequestBodyBytes: Int = 2 * 1024 * 1024,
        maxRequestHeaders: Int = 64,
        maxRequestHeaderBytes: Int = 64 * 1024,
        connectTimeout: TimeAmount = .seconds(5),
        totalTimeout: TimeAmount = .seconds(20)
    ) {
        self.caBundlePath = caBundlePath
        self.resolve = resolve
        self.maxResponseBodyBytes = maxResponseBodyBytes
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.maxRequestHeaders = maxRequestHeaders
        self.maxRequestHeaderBytes = maxRequestHeaderBytes
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
    }

    /// Parses curl-style `HOST:PORT=ADDR:PORT` entries (`[v6]:PORT` accepted on the right) into a
    /// resolve map. Every entry of one host must point at the same address, because the HTTP
    /// client overrides name resolution per host (the port is rewritten per request).
    public static func parseResolve(_ entries: [String]) throws(EgressError) -> [String: EgressResolveTarget] {
        var map: [String: EgressResolveTarget] = [:]
        var addressOfHost: [String: String] = [:]
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw .configuration("resolve entry '\(entry)': expected HOST:PORT=ADDR:PORT, e.g. www.lemonde.fr:443=127.0.0.1:8444")
            }
            let (host, port) = try splitHostPort(String(parts[0]), entry: entry, side: "left")
            let (address, targetPort) = try splitHostPort(String(parts[1]), entry: entry, side: "right")
            let key = "\(host.lowercased()):\(port)"
            if let previous = map[key], previous != EgressResolveTarget(host: address, port: targetPort) {
                throw .configuration("resolve entry '\(entry)': \(key) is already mapped to \(previous.host):\(previous.port)")
            }
            if let other = addressOfHost[host.lowercased()], other != address {
                throw .configuration("resolve entry '\(entry)': \(host) is already mapped to address \(other); all ports of one host must use the same address")
            }
            addressOfHost[host.lowercased()] = address
            map[key] = EgressResolveTarget(host: address, port: targetPort)
        }
        return map
    }

    /// Splits `host:port` or `[v6]:port`, with a valid port in 1...65535.
    private static func splitHostPort(_ text: String, entry: String, side: String) throws(EgressError) -> (String, Int) {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw .configuration("resolve entry '\(entry)': \(side) side '\(text)' must be [ADDR]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw .configuration("resolve entry '\(entry)': \(side) side '\(text)' has no :PORT")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }) else {
            throw .configuration("resolve entry '\(entry)': \(side) side has an empty or invalid host")
        }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw .configuration("resolve entry '\(entry)': \(side) side port '\(portText)' is not in 1...65535")
        }
        return (String(host), port)
    }
}
