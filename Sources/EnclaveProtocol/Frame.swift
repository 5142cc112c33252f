/// Framing of the wire protocol: a 4-byte big-endian payload length, then the payload.
public enum Frame {
    /// The largest payload accepted or sent: 16 MiB.
    public static let maxPayload = 16 << 20

    /// The frame for `payload` (length prefix + payload).
    public static func encode(_ payload: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(4 + payload.count)
        appendHeader(length: payload.count, to: &out)
        out.append(contentsOf: payload)
        return out
    }

    /// Appends the 4-byte big-endian length header.
    public static func appendHeader(length: Int, to out: inout [UInt8]) {
        let n = UInt32(truncatingIfNeeded: length)
        out.append(contentsOf: [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)])
    }
}

/// Why the byte stream cannot be framed; after this the connection must be closed because the
/// stream position is lost.
public enum FrameError: Error, Sendable, Hashable, CustomStringConvertible {
    case tooLarge(declared: UInt32, limit: Int)

    public var description: String {
        switch self {
        case .tooLarge(let declared, let limit):
            return "frame too large: \(declared) bytes declared, the limit is \(limit) bytes"
        }
    }
}

/// Splits a byte stream into frame payloads, however the stream was cut into reads.
public struct FrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    /// The largest payload accepted.
    public let maxPayload: Int

    public init(maxPayload: Int = Frame.maxPayload) {
        self.maxPayload = maxPayload
    }

    /// Bytes received and not yet returned as frames.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Adds received bytes.
    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete payload, or nil when more bytes are needed.
    /// - Throws: `FrameError.tooLarge` as soon as a header declares more than `maxPayload`.
    public mutating func nextFrame() throws(FrameError) -> [UInt8]? {
        guard bufferedByteCount >= 4 else { return nil }
        let length = UInt32(buffer[start]) << 24 | UInt32(buffer[start + 1]) << 16
            | UInt32(buffer[start + 2]) << 8 | UInt32(buffer[start + 3])
        guard Int(length) <= maxPayload else { throw .tooLarge(declared: length, limit: maxPayload) }
        guard bufferedByteCount >= 4 + Int(length) else { return nil }
        let payload = Array(buffer[(start + 4)..<(start + 4 + Int(length))])
        start += 4 + Int(length)
        compact()
        return payload
    }

    /// Drops consumed bytes once they dominate the buffer, keeping appends amortised O(1).
    private mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65_536, start > buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
    }
}
