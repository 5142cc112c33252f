#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// A failure of the PostgreSQL wire client (`PostgresWireConnection`): what was being done, what
/// went wrong, the SQLSTATE when the database itself answered with an error, and whether the
/// statement may have reached the database.
struct PostgresWireError: Error, CustomStringConvertible {
    /// What was being done ("connect to …", "apply 3 write(s)").
    var operation: String
    /// What went wrong.
    var problem: String
    /// The database's SQLSTATE when it answered with an ErrorResponse (the connection stays
    /// usable); nil for I/O, protocol and timeout failures (the connection was closed).
    var sqlState: String? = nil
    /// Whether any byte of the statement was written: false only when it certainly never
    /// reached the database (a failed connect, or a failure before the first byte was sent).
    var mayHaveBeenSent: Bool

    var description: String { "\(operation): \(problem)" }

    /// The error as the rest of the backend reports one.
    var backendError: SealedStoreError {
        .backend(operation: "PostgreSQL: \(operation)", code: 0, message: problem)
    }
}

/// A point in time an operation must end by (monotonic clock).
struct PostgresWireDeadline {
    /// Nanoseconds on `DispatchTime`'s uptime clock.
    let uptimeNanoseconds: UInt64

    /// `nanoseconds` from now.
    init(fromNow nanoseconds: Int64) {
        uptimeNanoseconds = DispatchTime.now().uptimeNanoseconds &+ UInt64(max(0, nanoseconds))
    }

    /// Milliseconds left for `poll()`, rounded up (0: expired), at most `Int32.max`.
    var remainingMilliseconds: Int32 {
        let now = DispatchTime.now().uptimeNanoseconds
        guard uptimeNanoseconds > now else { return 0 }
        return Int32(clamping: (uptimeNanoseconds - now + 999_999) / 1_000_000)
    }
}

/// A TCP socket to the database, used from one thread at a time: non-blocking underneath, every
/// wait a `poll()` bounded by the operation's deadline. Any failure closes it.
final class PostgresWireSocket {
    /// Bytes asked of the kernel per `recv`.
    static let receiveChunk = 64 << 10

    private var descriptor: Int32
    /// Received bytes not yet consumed: `storage[start..<end]`. It grows to the largest
    /// message received (at most `PostgresWireMessages.maxMessageBytes`).
    private var storage = [UInt8](repeating: 0, count: PostgresWireSocket.receiveChunk)
    private var start = 0
    private var end = 0

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { close() }

    /// Whether `close()` ran (or a failure closed it).
    var isClosed: Bool { descriptor < 0 }

    /// Whether the socket is open with nothing received and nothing to receive: between two
    /// statements the database sends nothing unless it is going away (a FATAL error, then the
    /// close, when its backend is terminated or the server restarts) or, rarely, reports a
    /// changed setting (the caller then only opens a connection it did not need).
    var isQuiet: Bool {
        guard descriptor >= 0, start == end else { return false }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) == 0
    }

    /// Closes the socket; a second call does nothing.
    func close() {
        guard descriptor >= 0 else { return }
        _ = systemClose(descriptor)
        descriptor = -1
    }

    /// Connects to `host:port` (every address it resolves to, IPv4 or IPv6, in the resolver's
    /// order) by `deadline`, the lookup included (`PostgresWireResolver`).
    static func connect(host: String, port: Int, deadline: PostgresWireDeadline, operation: String) throws -> PostgresWireSocket {
        let addresses: [PostgresWireResolver.Address]
        do {
            addresses = try PostgresWireResolver.resolve(host: host, port: port, deadline: deadline)
        } catch {
            throw PostgresWireError(operation: operation, problem: error.text, mayHaveBeenSent: false)
        }
        var problems: [String] = []
        for address in addresses {
            switch attempt(address, deadline: deadline) {
            case .success(let socket): return socket
            case .failure(let problem): problems.append(problem.text)
            }
        }
        if addresses.isEmpty { problems.append("no address") }
        throw PostgresWireError(operation: operation, problem: "cannot connect to \(host):\(port): " + problems.joined(separator: "; "),
                                mayHaveBeenSent: false)
    }

    private struct ConnectProblem: Error { let text: String }

    /// A connection to one address.
    private static func attempt(_ address: PostgresWireResolver.Address, deadline: PostgresWireDeadline)
        -> Result<PostgresWireSocket, ConnectProblem> {
        Result { () throws(ConnectProblem) -> PostgresWireSocket in try connect(address, deadline: deadline) }
    }

    private static func connect(_ address: PostgresWireResolver.Address, deadline: PostgresWireDeadline) throws(ConnectProblem)
        -> PostgresWireSocket {
        // Close-on-exec, like the server's other descriptors: a spawned process inherits nothing.
        let descriptor = socket(address.family, address.socketType | socketCloseOnExec, address.protocolNumber)
        guard descriptor >= 0 else { throw ConnectProblem(text: "socket: \(errorText(errno))") }
        let connection = PostgresWireSocket(descriptor: descriptor)
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        var on: Int32 = 1
        // Each message goes out at once: the commit is one write, and a reply is awaited.
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        #if canImport(Darwin)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
        // errno read right after the call, inside the closure.
        let (started, failed) = address.bytes.withUnsafeBytes { raw in
            (systemConnect(descriptor, raw.baseAddress?.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count)), errno)
        }
        guard started != 0 else { return connection }
        guard failed == EINPROGRESS else { throw ConnectProblem(text: errorText(failed)) }
        guard (try? connection.wait(for: Int16(POLLOUT), deadline: deadline)) != nil else {
            throw ConnectProblem(text: "no connection within the deadline")
        }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length) == 0, failure == 0 else {
            throw ConnectProblem(text: errorText(failure))
        }
        return connection
    }

    /// Writes all of `bytes` by `deadline`. `wrote` is set once any byte left (the caller's
    /// "may have been sent").
    func write(_ bytes: [UInt8], deadline: PostgresWireDeadline, wrote: inout Bool) throws(IOProblem) {
        var offset = 0
        while offset < bytes.count {
            guard descriptor >= 0 else { throw IOProblem(text: "the connection is closed") }
            let sent = bytes.withUnsafeBytes { buffer in
                systemSend(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset, noSignal)
            }
            if sent > 0 {
                wrote = true
                offset += sent
            } else if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                try wait(for: Int16(POLLOUT), deadline: deadline)
            } else {
                throw fail("send: \(Self.errorText(errno))")
            }
        }
    }

    /// The next `count` received bytes, waiting for them until `deadline`.
    func read(_ count: Int, deadline: PostgresWireDeadline) throws(IOProblem) -> [UInt8] {
        if end - start < count { try fill(count, deadline: deadline) }
        let bytes = Array(storage[start..<start + count])
        start += count
        // A large message grew the buffer: give the memory back once it is consumed.
        if start == end, storage.count > Self.receiveChunk {
            storage = [UInt8](repeating: 0, count: Self.receiveChunk)
            (start, end) = (0, 0)
        }
        return bytes
    }

    /// Receives until `count` bytes are buffered, moving what is left to the front first.
    private func fill(_ count: Int, deadline: PostgresWireDeadline) throws(IOProblem) {
        let kept = end - start
        if start > 0 {
            storage.withUnsafeMutableBytes { buffer in
                guard let base = buffer.baseAddress else { return }
                _ = memmove(base, base + start, kept)
            }
            (start, end) = (0, kept)
        }
        if storage.count < count { storage.append(contentsOf: repeatElement(0, count: count - storage.count)) }
        while end < count {
            guard descriptor >= 0 else { throw IOProblem(text: "the connection is closed") }
            let got = storage.withUnsafeMutableBytes { buffer in
                recv(descriptor, buffer.baseAddress.map { $0 + end }, buffer.count - end, 0)
            }
            if got > 0 {
                end += got
            } else if got == 0 {
                throw fail("the database closed the connection")
            } else if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                try wait(for: Int16(POLLIN), deadline: deadline)
            } else {
                throw fail("recv: \(Self.errorText(errno))")
            }
        }
    }

    /// A failure of the socket (it is closed): the text names it.
    struct IOProblem: Error { let text: String }

    /// Waits until the socket is ready for `events`; past `deadline` it fails and closes.
    private func wait(for events: Int16, deadline: PostgresWireDeadline) throws(IOProblem) {
        while true {
            let timeout = deadline.remainingMilliseconds
            guard timeout > 0 else { throw fail(Self.timedOut) }
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&entry, 1, timeout)
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw fail("poll: \(Self.errorText(errno))") }
        }
    }

    /// The problem text of a deadline that passed.
    static let timedOut = "timed out waiting for the database"

    /// Closes the socket after a failure, discarding what it has not sent yet (linger 0: the
    /// kernel drops unsent bytes and resets the connection). A statement given up on must not
    /// keep trickling out of the send buffer and commit long after the caller's quarantine of
    /// an unknown outcome ended.
    private func fail(_ text: String) -> IOProblem {
        if descriptor >= 0 {
            var discardUnsent = linger(l_onoff: 1, l_linger: 0)
            _ = setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &discardUnsent, socklen_t(MemoryLayout<linger>.size))
        }
        close()
        return IOProblem(text: text)
    }

    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code)) + " (errno \(code))"
    }
}

#if canImport(Glibc)
private let noSignal = Int32(MSG_NOSIGNAL)
private let socketCloseOnExec = Int32(SOCK_CLOEXEC.rawValue)
#else
private let noSignal: Int32 = 0
private let socketCloseOnExec: Int32 = 0
#endif

private func systemClose(_ descriptor: Int32) -> Int32 { close(descriptor) }

private func systemConnect(_ descriptor: Int32, _ address: UnsafePointer<sockaddr>?, _ length: socklen_t) -> Int32 {
    connect(descriptor, address, length)
}

private func systemSend(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int, _ flags: Int32) -> Int {
    send(descriptor, bytes, count, flags)
}
