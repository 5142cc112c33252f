/// Everything that can go wrong with an egress request or with the egress configuration.
///
/// `description` is the text an app receives as `err(string)` (wit/ and docs/sdk.md), so each message says
/// what failed and, where it helps, what to do about it.
public enum EgressError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The URL's scheme is not `https` (plain HTTP would expose the app's traffic to the host).
    case onlyHTTPS
    /// The URL could not be parsed or has no host.
    case invalidURL(String)
    /// The method code is not one of 0...6 of the positional WIT shape.
    case invalidMethod(UInt32)
    /// A request header name or value is malformed, or there are too many.
    case invalidHeader(String)
    /// The request body is larger than the configured cap.
    case requestBodyTooLarge(limit: Int)
    /// The response body grew past the cap while it was being received.
    case responseBodyTooLarge(limit: Int)
    /// A per-request trust root is not a DER X.509 certificate, or too many were given.
    case invalidTrustRoot(String)
    /// The server's certificate did not verify against the trust anchors or does not name the host.
    case certificateVerifyFailed(host: String, detail: String)
    /// The TLS handshake failed for another reason (protocol, cipher, alert).
    case tlsFailed(host: String, detail: String)
    /// TCP connection or name resolution failed.
    case connectFailed(host: String, port: Int, detail: String)
    /// No connection within the connect timeout.
    case connectTimeout(host: String, port: Int, seconds: Double)
    /// The whole request did not finish within its time limit.
    case timeout(seconds: Double)
    /// The server closed the connection before a complete response.
    case connectionClosed(host: String)
    /// The host is in the resolve map but not for this port (curl `--resolve` is per host:port).
    case portNotResolved(host: String, port: Int)
    /// The synchronous bridge was called on a SwiftNIO event loop, where waiting would deadlock.
    case calledOnEventLoop
    /// The client was shut down.
    case shutDown
    /// The caller gave up waiting (`fetchBlocking`'s `stopReason`), e.g. its call was stopped.
    case abandoned(String)
    /// A configuration problem (CA bundle, resolve entry), found at start-up.
    case configuration(String)
    /// Anything else, with the underlying error's text.
    case other(String)

    /// The message returned to the app.
    public var description: String {
        switch self {
        case .onlyHTTPS: return "only https:// URLs are supported"
        case .invalidURL(let reason): return "invalid URL: \(reason)"
        case .invalidMethod(let code): return "invalid method \(code): expected 0=GET 1=POST 2=PUT 3=DELETE 4=PATCH 5=HEAD 6=OPTIONS"
        case .invalidHeader(let reason): return "invalid request header: \(reason)"
        case .requestBodyTooLarge(let limit): return "request body exceeds \(limit) bytes"
        case .responseBodyTooLarge(let limit): return "response body exceeds \(limit) bytes"
        case .invalidTrustRoot(let reason): return "invalid trust root: \(reason)"
        case .certificateVerifyFailed(let host, let detail): return "certificate verify failed for \(host): \(detail)"
        case .tlsFailed(let host, let detail): return "TLS handshake with \(host) failed: \(detail)"
        case .connectFailed(let host, let port, let detail): return "cannot connect to \(host):\(port): \(detail)"
        case .connectTimeout(let host, let port, let seconds):
            return "connect to \(host):\(port) timed out after \(Self.format(seconds)) s"
        case .timeout(let seconds): return "request timed out after \(Self.format(seconds)) s"
        case .connectionClosed(let host): return "\(host) closed the connection before a complete response"
        case .portNotResolved(let host, let port):
            return "\(host):\(port) is not in the egress resolve map (the host is mapped for other ports only)"
        case .calledOnEventLoop: return "internal error: blocking egress call made on an event loop"
        case .shutDown: return "egress client is shut down"
        case .abandoned(let reason): return "request abandoned: \(reason)"
        case .configuration(let reason): return "egress configuration: \(reason)"
        case .other(let text): return text
        }
    }

    /// Seconds without a trailing `.0` for whole numbers.
    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
