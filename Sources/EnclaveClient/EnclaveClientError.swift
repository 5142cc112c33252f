import EnclaveProtocol

/// Everything that can go wrong talking to an EnclaveOS server, with messages a user can act on.
public enum EnclaveClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The TCP connection could not be established.
    case connectionFailed(host: String, port: Int, reason: String)
    /// TCP worked but the TLS handshake did not.
    case tlsHandshakeFailed(host: String, port: Int, reason: String)
    /// The server closed the connection before answering.
    case connectionClosed(host: String, port: Int)
    /// No response arrived in time; the connection is closed because the stream is out of sync.
    case timedOut(host: String, port: Int, seconds: Double)
    /// The server sent bytes that are not a valid frame or envelope.
    case malformedResponse(String)
    /// The server answered with an outer `{"Error":…}` frame.
    case serverError(String)
    /// The server answered a management message with `{"status":"error","message":…}`.
    case requestFailed(String)
    /// The response parsed but was not the kind expected for the request.
    case unexpectedResponse(expected: String, got: String)
    /// A local argument problem (e.g. an unreadable file, a bad hex key).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .connectionFailed(let host, let port, let reason):
            return "cannot connect to \(host):\(port): \(reason) (is enclave-os running and listening there?)"
        case .tlsHandshakeFailed(let host, let port, let reason):
            return "TLS handshake with \(host):\(port) failed: \(reason) (the server must speak TLS 1.3)"
        case .connectionClosed(let host, let port):
            return "\(host):\(port) closed the connection before answering"
        case .timedOut(let host, let port, let seconds):
            return "no response from \(host):\(port) within \(seconds) s; connection closed"
        case .malformedResponse(let detail):
            return "malformed response from server: \(detail)"
        case .serverError(let message):
            return "server error: \(message)"
        case .requestFailed(let message):
            return message
        case .unexpectedResponse(let expected, let got):
            return "unexpected response: expected \(expected), got \(got)"
        case .invalidArgument(let message):
            return message
        }
    }
}
