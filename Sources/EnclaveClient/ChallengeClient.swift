#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fetches a challenge-mode certificate: a TLS 1.3 handshake whose ClientHello carries the
/// nonce in extension `0xFFBB`, so the server answers with a certificate bound to it.
///
/// NIOSSL (BoringSSL) offers no way to add a ClientHello extension, so this uses the system
/// OpenSSL (`libssl.so.3`, loaded at run time with `dlopen`; OpenSSL's
/// `SSL_CTX_add_custom_ext`). Where no OpenSSL 3 is installed, it throws
/// ``ChallengeClientError/openSSLUnavailable(_:)`` and says so. Only the certificate is
/// fetched: the connection is closed right after the handshake.
public enum ChallengeClient {
    /// Connects, sends `nonce` in extension `0xFFBB`, returns the peer's leaf certificate (DER).
    /// - Parameters:
    ///   - host: host name or IP address.
    ///   - port: TCP port.
    ///   - serverName: SNI to send (an app's hostname selects its certificate); nil sends none.
    ///   - nonce: 1…64 bytes.
    ///   - timeoutSeconds: socket send/receive timeout.
    /// - Throws: ``ChallengeClientError``.
    public static func fetchCertificate(host: String, port: Int, serverName: String?, nonce: [UInt8], timeoutSeconds: Int = 10) throws -> [UInt8] {
        guard (1 ... 64).contains(nonce.count) else { throw ChallengeClientError.invalidNonce(nonce.count) }
        let ssl = try OpenSSLLibrary.load()
        let fd = try connectSocket(host: host, port: port, timeoutSeconds: timeoutSeconds)
        defer { close(fd) }
        return try ssl.handshake(fd: fd, serverName: serverName, nonce: nonce)
    }

    private static func connectSocket(host: String, port: Int, timeoutSeconds: Int) throws -> Int32 {
        guard (1 ... 65535).contains(port) else { throw ChallengeClientError.connectFailed("port \(port) is out of range") }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw ChallengeClientError.connectFailed("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            lastError = String(cString: strerror(errno))
            close(fd)
        }
        throw ChallengeClientError.connectFailed("\(host):\(port): \(lastError)")
    }
}

/// Why a challenge-mode fetch failed.
public enum ChallengeClientError: Error, CustomStringConvertible {
    /// The system OpenSSL 3 library could not be loaded or lacks a function.
    case openSSLUnavailable(String)
    /// The nonce is not 1…64 bytes.
    case invalidNonce(Int)
    /// TCP connect failed.
    case connectFailed(String)
    /// The TLS handshake failed (the server may have refused the ClientHello).
    case handshakeFailed(String)

    public var description: String {
        switch self {
        case .openSSLUnavailable(let why):
            return "challenge mode needs the system OpenSSL 3 (libssl.so.3) to send ClientHello extension 0xFFBB: \(why)"
        case .invalidNonce(let count): return "the challenge nonce must be 1...64 bytes, got \(count)"
        case .connectFailed(let why): return "connect failed: \(why)"
        case .handshakeFailed(let why): return "TLS handshake failed: \(why)"
        }
    }
}
