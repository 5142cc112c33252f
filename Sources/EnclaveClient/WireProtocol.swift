import EnclaveProtocol

/// Which of the server's two protocols a connection speaks. Both reach the same server on the
/// same port; everything above the connection (management messages, streamed loads, chunked
/// results) is the same.
public enum WireProtocol: String, Sendable, CaseIterable {
    /// Length-prefixed JSON frames (the original's first protocol).
    case frames
    /// HTTP/1.1 (the original's protocol since 2026-03-13): `POST /data`, `GET /healthz`, `POST /shutdown`.
    case http

    /// The ALPN ids offered in the handshake.
    var alpn: [String] {
        switch self {
        case .frames: return [HTTPWire.alpnRATLS]
        case .http: return [HTTPWire.alpnHTTP1, HTTPWire.alpnRATLS]
        }
    }
}
