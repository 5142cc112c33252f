import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import AsyncHTTPClient

/// Checks of what an app asks to send: headers come from an untrusted guest.
enum EgressRequestValidation {
    /// Characters of an RFC 9110 token (a header name).
    private static let tokenPunctuation = Set("!#$%&'*+-.^_`|~".utf8)

    /// Validated headers. `host` and framing headers are dropped: the client sets them from the
    /// URL and the body, and letting an app choose them would allow request smuggling.
    static func headers(_ pairs: [(String, String)], configuration: EgressConfiguration) throws(EgressError) -> HTTPHeaders {
        guard pairs.count <= configuration.maxRequestHeaders else {
            throw .invalidHeader("\(pairs.count) headers, at most \(configuration.maxRequestHeaders) allowed")
        }
        var total = 0
        var headers = HTTPHeaders()
        for (name, value) in pairs {
            total += name.utf8.count + value.utf8.count
            guard total <= configuration.maxRequestHeaderBytes else {
                throw .invalidHeader("headers exceed \(configuration.maxRequestHeaderBytes) bytes in total")
            }
            guard !name.isEmpty, name.utf8.allSatisfy({ isTokenByte($0) }) else {
                throw .invalidHeader("name '\(name.prefix(64))' is not a valid HTTP token")
            }
            guard !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) else {
                throw .invalidHeader("value of '\(name)' contains CR, LF or NUL")
            }
            switch name.lowercased() {
            case "host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer", "keep-alive":
                continue
            default:
                headers.add(name: name, value: value)
            }
        }
        return headers
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || tokenPunctuation.contains(byte)
    }
}

/// Turns the errors of AsyncHTTPClient, NIO and NIOSSL into messages an app can act on.
enum EgressErrorMapping {
    static func map(_ error: any Error, host: String, port: Int, seconds: Double, connectSeconds: Double) -> EgressError {
        if let error = error as? EgressError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return .connectTimeout(host: host, port: port, seconds: connectSeconds)
            case .deadlineExceeded, .readTimeout, .writeTimeout: return .timeout(seconds: seconds)
            case .tlsHandshakeTimeout: return .tlsFailed(host: host, detail: "handshake timed out")
            case .remoteConnectionClosed: return .connectionClosed(host: host)
            case .cancelled: return .other("request to \(host) was cancelled")
            case .alreadyShutdown: return .shutDown
            default: return .other("request to \(host) failed: \(error)")
            }
        }
        if let error = error as? NIOSSLError {
            let text = "\(error)"
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                return .certificateVerifyFailed(host: host, detail: verifyDetail(text))
            }
            return .tlsFailed(host: host, detail: text)
        }
        if let error = error as? NIOSSLExtraError {
            if error == .failedToValidateHostname {
                return .certificateVerifyFailed(host: host, detail: "the certificate is not valid for this host name")
            }
            return .certificateVerifyFailed(host: host, detail: "\(error)")
        }
        if error is NIOConnectionError || error is IOError || error is ChannelError || error is SocketAddressError {
            if case ChannelError.connectTimeout = error {
                return .connectTimeout(host: host, port: port, seconds: connectSeconds)
            }
            return .connectFailed(host: host, port: port, detail: "\(error)")
        }
        return .other("request to \(host) failed: \(error)")
    }

    /// BoringSSL reports every verification failure as CERTIFICATE_VERIFY_FAILED; NIOSSL appends
    /// the verify result when it has one. Keep the useful part.
    private static func verifyDetail(_ text: String) -> String {
        if text.contains("Hostname") || text.contains("hostname") {
            return "the certificate does not name this host"
        }
        return "the server's certificate chain is not trusted (unknown CA, expired, or wrong host)"
    }
}
