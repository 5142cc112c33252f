import Foundation

/// The floor under every PostgreSQL read: one round trip to the database on this machine, with
/// nothing of ours in the way. A blocking TCP socket on the calling thread sends `SELECT 1`
/// (PostgreSQL's simple query protocol) and reads up to `ReadyForQuery`: no event loop, no pool,
/// no driver. A store read that must ask the database (a miss, or any read with
/// `read_cache=off`) can not be faster than this.
///
/// Speaks only what the bench's private PostgreSQL needs: protocol 3.0 with `trust`
/// authentication. Every length read from the socket is checked.
enum PostgresRoundTripFloor {
    /// Largest message accepted from the server (the answers here are tiny).
    static let maxMessageBytes = 1 << 20

    /// p50 / p99 of `iterations` round trips to `url` (postgres://USER@HOST:PORT/DATABASE).
    static func measure(url: String, iterations: Int) throws -> Samples {
        guard let parts = URLComponents(string: url), let host = parts.host, let port = parts.port, let user = parts.user else {
            throw BenchError("cannot read the PostgreSQL URL \(url)")
        }
        let socket = try connect(host: host, port: port)
        defer { close(socket) }
        var startup = Data()
        startup.append(int32: 196_608)  // protocol 3.0
        for text in ["user", user, "database", String(parts.path.dropFirst()), ""] { startup.append(cString: text) }
        try send(socket, type: nil, startup)
        try readUntilReady(socket)
        var query = Data()
        query.append(cString: "SELECT 1")
        return try Samples.measure(iterations: iterations, warmup: 50) {
            try send(socket, type: UInt8(ascii: "Q"), query)
            try readUntilReady(socket)
        }
    }

    private static func connect(host: String, port: Int) throws -> Int32 {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw BenchError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(socket)
            throw BenchError("\(host) is not an IPv4 address")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw BenchError("connect to \(host):\(port): errno \(errno)")
        }
        var noDelay: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        return socket
    }

    /// Sends one message: type byte (none for the startup message), length, body.
    private static func send(_ socket: Int32, type: UInt8?, _ body: Data) throws {
        var message = Data()
        if let type { message.append(type) }
        message.append(int32: Int32(body.count + 4))
        message.append(body)
        let sent = message.withUnsafeBytes { Foundation.send(socket, $0.baseAddress, $0.count, 0) }
        guard sent == message.count else { throw BenchError("send to PostgreSQL: errno \(errno)") }
    }

    /// Reads messages until `ReadyForQuery`; an error or an authentication request other than
    /// "ok" (the bench's database trusts loopback) is an error.
    private static func readUntilReady(_ socket: Int32) throws {
        while true {
            let header = try read(socket, count: 5)
            let length = Int(UInt32(header[1]) << 24 | UInt32(header[2]) << 16 | UInt32(header[3]) << 8 | UInt32(header[4]))
            guard (4...maxMessageBytes).contains(length) else { throw BenchError("PostgreSQL sent a message of \(length) bytes") }
            let body = try read(socket, count: length - 4)
            switch header[0] {
            case UInt8(ascii: "Z"):
                return
            case UInt8(ascii: "E"):
                throw BenchError("PostgreSQL: \(String(decoding: body.map { $0 == 0 ? 32 : $0 }, as: UTF8.self))")
            case UInt8(ascii: "R") where body.count >= 4 && body.prefix(4) != [0, 0, 0, 0]:
                throw BenchError("PostgreSQL asks for a password; the round-trip floor needs trust authentication")
            default:
                continue
            }
        }
    }

    private static func read(_ socket: Int32, count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress.map { $0 + filled }, count - filled, 0) }
            guard got > 0 else { throw BenchError("PostgreSQL closed the connection (errno \(errno))") }
            filled += got
        }
        return buffer
    }
}

private extension Data {
    mutating func append(int32 value: Int32) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    mutating func append(cString text: String) {
        append(contentsOf: Array(text.utf8) + [0])
    }
}
