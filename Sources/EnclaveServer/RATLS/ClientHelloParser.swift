/// What the listener needs from a TLS ClientHello before it picks a certificate.
public struct ClientHelloSummary: Sendable, Equatable {
    /// The SNI `host_name`, lowercased; nil when the client sent none.
    public var serverName: String?
    /// The RA-TLS challenge nonce from extension `0xFFBB` (1…64 bytes); nil when absent.
    public var challengeNonce: [UInt8]?

    /// Creates a summary.
    public init(serverName: String? = nil, challengeNonce: [UInt8]? = nil) {
        self.serverName = serverName
        self.challengeNonce = challengeNonce
    }
}

/// Why a ClientHello was refused. Every byte comes from an unauthenticated peer, so anything
/// that is not a well-formed ClientHello ends the connection before TLS even starts.
public enum ClientHelloError: Error, Equatable, CustomStringConvertible {
    /// The first bytes are not a TLS handshake record (plain text, HTTP, TLS alert …).
    case notHandshakeRecord(contentType: UInt8)
    /// A record header announces a length TLS does not allow.
    case recordTooLong(Int)
    /// The first handshake message is not a ClientHello.
    case notClientHello(messageType: UInt8)
    /// The ClientHello is larger than the reader accepts.
    case tooLarge(Int, limit: Int)
    /// A length field points past the end of its enclosing structure.
    case truncated(String)
    /// An extension appears twice (RFC 8446 §4.2 forbids it).
    case duplicateExtension(UInt16)
    /// The SNI extension is malformed or names something that is not a DNS host name.
    case invalidServerName(String)
    /// Extension `0xFFBB` is not 1…64 bytes.
    case invalidChallengeNonce(length: Int)

    public var description: String {
        switch self {
        case .notHandshakeRecord(let type): return "not a TLS handshake record (content type \(type)); is the client speaking TLS?"
        case .recordTooLong(let length): return "TLS record of \(length) bytes exceeds the 16384-byte limit"
        case .notClientHello(let type): return "first handshake message has type \(type), expected ClientHello (1)"
        case .tooLarge(let size, let limit): return "ClientHello of \(size) bytes exceeds the \(limit)-byte limit"
        case .truncated(let what): return "malformed ClientHello: \(what) runs past its enclosing structure"
        case .duplicateExtension(let type): return "malformed ClientHello: extension \(type) appears twice"
        case .invalidServerName(let why): return "malformed SNI: \(why)"
        case .invalidChallengeNonce(let length): return "challenge nonce (extension 0xFFBB) must be 1...64 bytes, got \(length)"
        }
    }
}

/// Parses the ClientHello from the first bytes of a TLS connection, bounds-checking every
/// length. Pure: no I/O, no NIO types, so it can be tested on arbitrary byte strings.
public enum ClientHelloParser {
    /// Extension type carrying the RA-TLS challenge nonce (docs/attestation.md).
    public static let challengeExtension: UInt16 = 0xFFBB
    /// Largest ClientHello handshake message accepted. Real ones are 200 B – 2 KiB (a few KiB
    /// with post-quantum key shares); the cap bounds what an unauthenticated peer makes us buffer.
    public static let maxClientHelloLength = 32 * 1024
    private static let maxRecordLength = 16_384 + 256  // RFC 8446 §5.1 plus slack some stacks use

    /// The result of looking at the bytes received so far.
    public enum Outcome: Equatable {
        /// The ClientHello is not complete yet; read more.
        case needMoreData
        /// The ClientHello is complete.
        case complete(ClientHelloSummary)
    }

    /// Looks at the connection's first `bytes` (TLS records as received).
    /// - Throws: ``ClientHelloError`` as soon as the bytes cannot be a valid ClientHello.
    public static func parse(_ bytes: [UInt8]) throws(ClientHelloError) -> Outcome {
        // Reassemble the handshake stream from consecutive handshake records: a ClientHello
        // may be split over several records (RFC 8446 §5.1), and a record may be partial.
        var handshake: [UInt8] = []
        var offset = 0
        while true {
            guard bytes.count - offset >= 5 else { return try partialResult(handshake) }
            let contentType = bytes[offset]
            guard contentType == 22 else { throw .notHandshakeRecord(contentType: contentType) }
            let recordLength = Int(bytes[offset + 3]) << 8 | Int(bytes[offset + 4])
            guard recordLength <= maxRecordLength else { throw .recordTooLong(recordLength) }
            let available = min(recordLength, bytes.count - offset - 5)
            handshake.append(contentsOf: bytes[(offset + 5) ..< (offset + 5 + available)])
            if let length = try messageLength(handshake), handshake.count >= 4 + length {
                return .complete(try parseBody(Array(handshake[4 ..< (4 + length)])))
            }
            guard available == recordLength else { return .needMoreData }
            offset += 5 + recordLength
        }
    }

    private static func partialResult(_ handshake: [UInt8]) throws(ClientHelloError) -> Outcome {
        _ = try messageLength(handshake)  // refuse a wrong type or size as early as possible
        return .needMoreData
    }

    /// The ClientHello's announced body length once its 4-byte header is in, after checks.
    private static func messageLength(_ handshake: [UInt8]) throws(ClientHelloError) -> Int? {
        guard let type = handshake.first else { return nil }
        guard type == 1 else { throw .notClientHello(messageType: type) }
        guard handshake.count >= 4 else { return nil }
        let length = Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3])
        guard length <= maxClientHelloLength else { throw .tooLarge(length, limit: maxClientHelloLength) }
        return length
    }

    /// Parses a complete ClientHello body (RFC 8446 §4.1.2).
    static func parseBody(_ body: [UInt8]) throws(ClientHelloError) -> ClientHelloSummary {
        var reader = ByteReader(body)
        try reader.skip(2 + 32, "legacy_version and random")
        try reader.skipVector(lengthBytes: 1, "legacy_session_id")
        try reader.skipVector(lengthBytes: 2, "cipher_suites")
        try reader.skipVector(lengthBytes: 1, "legacy_compression_methods")
        var summary = ClientHelloSummary()
        // A ClientHello without extensions is legal (old TLS); TLS 1.3 will refuse it later.
        guard !reader.isAtEnd else { return summary }
        var extensions = ByteReader(try reader.vector(lengthBytes: 2, "extensions"))
        guard reader.isAtEnd else { throw .truncated("data after the extensions") }
        var seen = Set<UInt16>()
        while !extensions.isAtEnd {
            let type = UInt16(try extensions.integer(bytes: 2, "extension type"))
            let data = try extensions.vector(lengthBytes: 2, "extension \(type)")
            guard seen.insert(type).inserted else { throw .duplicateExtension(type) }
            switch type {
            case 0: summary.serverName = try serverName(data)
            case challengeExtension:
                guard (1 ... 64).contains(data.count) else { throw .invalidChallengeNonce(length: data.count) }
                summary.challengeNonce = data
            default: break
            }
        }
        return summary
    }

    /// The `host_name` entry of a server_name extension (RFC 6066 §3), validated and lowercased.
    private static func serverName(_ data: [UInt8]) throws(ClientHelloError) -> String? {
        var outer = ByteReader(data)
        var list = ByteReader(try outer.vector(lengthBytes: 2, "server_name_list"))
        guard outer.isAtEnd else { throw .invalidServerName("data after server_name_list") }
        var name: String?
        while !list.isAtEnd {
            let nameType = try list.integer(bytes: 1, "server name type")
            let value = try list.vector(lengthBytes: 2, "server name")
            guard nameType == 0 else { continue }  // unknown name types are skipped (RFC 6066)
            guard name == nil else { throw .invalidServerName("more than one host_name") }
            // DNS names only: letters, digits, '-', '.', '_'; at most 253 bytes. Anything else
            // (NUL, '/', non-ASCII) is refused rather than compared against app hostnames.
            let allowed = value.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x2E || b == 0x5F
            }
            guard (1 ... 253).contains(value.count), allowed else {
                throw .invalidServerName("host_name of \(value.count) bytes is not a DNS name")
            }
            name = String(decoding: value, as: UTF8.self).lowercased()
        }
        return name
    }
}

/// A bounds-checked cursor over a byte array; every read names what it was reading.
private struct ByteReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { position == bytes.count }

    mutating func skip(_ count: Int, _ what: String) throws(ClientHelloError) {
        guard bytes.count - position >= count else { throw .truncated(what) }
        position += count
    }

    mutating func integer(bytes count: Int, _ what: String) throws(ClientHelloError) -> Int {
        guard bytes.count - position >= count else { throw .truncated(what) }
        var value = 0
        for byte in bytes[position ..< position + count] { value = value << 8 | Int(byte) }
        position += count
        return value
    }

    mutating func vector(lengthBytes: Int, _ what: String) throws(ClientHelloError) -> [UInt8] {
        let length = try integer(bytes: lengthBytes, "length of \(what)")
        guard bytes.count - position >= length else { throw .truncated(what) }
        defer { position += length }
        return Array(bytes[position ..< position + length])
    }

    mutating func skipVector(lengthBytes: Int, _ what: String) throws(ClientHelloError) {
        let length = try integer(bytes: lengthBytes, "length of \(what)")
        try skip(length, what)
    }
}
