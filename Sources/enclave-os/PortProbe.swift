#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks that the listening address is free before the sealed store is opened, so a second
/// server (or any other program) on the port is named at once instead of after a store open
/// and app restore. The server binds for real later; this only tells the user early.
enum PortProbe {
    /// Throws a message naming `host:port` when it cannot be bound (in use, not a local address).
    static func checkAvailable(host: String, port: Int) throws {
        guard port != 0 else { return }
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else {
            throw ProbeError("cannot listen on \(host):\(port): '\(host)' is not an address of this machine (--host)")
        }
        defer { freeaddrinfo(found) }
        #if canImport(Glibc)
        let descriptor = Glibc.socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        #else
        let descriptor = Darwin.socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        #endif
        guard descriptor >= 0 else { return }  // cannot even make a socket: let the real bind report it
        defer { close(descriptor) }
        var on: Int32 = 1
        // The server sets SO_REUSEADDR too, so a port in TIME_WAIT is not reported as taken.
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        guard bind(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let code = errno
            switch code {
            case EADDRINUSE:
                throw ProbeError("cannot listen on \(host):\(port): the port is already in use (another enclave-os?); stop it or choose another --port")
            case EADDRNOTAVAIL:
                throw ProbeError("cannot listen on \(host):\(port): \(host) is not an address of this machine (--host)")
            case EACCES:
                throw ProbeError("cannot listen on \(host):\(port): permission denied (ports below 1024 need privileges)")
            default:
                throw ProbeError("cannot listen on \(host):\(port): \(String(cString: strerror(code)))")
            }
        }
    }
}

/// A listening problem, in words for the operator.
struct ProbeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
