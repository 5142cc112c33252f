/// Framing of the wire protocol: a 4-byte big-endian payload length, then the payload.
public enum Frame {
    /// The largest payload accepted or sent: 16 MiB.
    public static let maxPayload = 16 << 20
    /// The length prefix: 4 bytes, big-endian.
    public static let headerSize = 4

    /// The payload length a complete header declares, checked against `limit`.
    /// - Throws: `FrameError.tooLarge` when it declares more than `limit` (the stream is lost).
    public static func payloadLength(declared: UInt32, limit: Int) throws(FrameError) -> Int {
        guard Int(declared) <= limit else { throw .tooLarge(declared: declared, limit: limit) }
        return Int(declared)
    }

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

/// The frame state machine without any buffering policy: it reads a header, reports the declared
/// length, and (once told to go on) fills one payload array allocated at exactly that length.
///
/// A payload therefore lives in memory once, in its final array: no growing buffer that doubles
/// (and, while it grows, briefly exists twice), no copy out of a receive buffer. A server can put
/// a memory budget between the header and the body (`awaitingBody`), a client simply goes on.
public struct FrameReader: Sendable {
    private enum State: Sendable {
        case header(bytes: UInt32, count: Int)
        /// The header is complete; no body byte is taken until `startBody()`.
        case awaitingBody(length: Int)
        case body(payload: [UInt8], length: Int)
    }

    /// What one `consume` call found.
    public enum Event: Sendable, Equatable {
        /// A header declared `length` bytes (≤ the limit); call `startBody()` to read them.
        case header(length: Int)
        /// A complete payload.
        case frame([UInt8])
    }

    private var state: State = .header(bytes: 0, count: 0)
    /// The largest payload accepted.
    public let maxPayload: Int

    public init(maxPayload: Int = Frame.maxPayload) {
        self.maxPayload = maxPayload
    }

    /// The declared length of the frame whose header was read and whose body has not started.
    public var pendingLength: Int? {
        if case .awaitingBody(let length) = state { return length }
        return nil
    }

    /// Header bytes received of a header not yet complete (0...3; 0 between frames).
    public var partialHeaderBytes: Int {
        if case .header(_, let count) = state { return count }
        return 0
    }

    /// Payload bytes held for the frame being read (0 between frames).
    public var bufferedByteCount: Int {
        if case .body(let payload, _) = state { return payload.count }
        return 0
    }

    /// Allocates the payload of the pending frame; reading continues with the next `consume`.
    public mutating func startBody() {
        guard case .awaitingBody(let length) = state else { return }
        if length == 0 {
            state = .body(payload: [], length: 0)
            return
        }
        var payload: [UInt8] = []
        payload.reserveCapacity(length)
        state = .body(payload: payload, length: length)
    }

    /// Consumes bytes from the front of `input` up to the next event.
    /// - Returns: how many bytes were taken, and the event they completed (nil: all taken, or
    ///   waiting for `startBody()`, in which case nothing is taken).
    /// - Throws: `FrameError.tooLarge` as soon as a header declares more than `maxPayload`.
    public mutating func consume(_ input: UnsafeRawBufferPointer) throws(FrameError) -> (consumed: Int, event: Event?) {
        var taken = 0
        while true {
            switch state {
            case .header(var value, var count):
                while count < Frame.headerSize, taken < input.count {
                    value = value << 8 | UInt32(input[taken])
                    count += 1
                    taken += 1
                }
                guard count == Frame.headerSize else {
                    state = .header(bytes: value, count: count)
                    return (taken, nil)
                }
                let length = try Frame.payloadLength(declared: value, limit: maxPayload)
                state = .awaitingBody(length: length)
                return (taken, .header(length: length))
            case .awaitingBody:
                return (taken, nil)
            case .body(var payload, let length):
                state = .header(bytes: 0, count: 0)  // drop our reference so `payload` stays unique
                let wanted = min(length - payload.count, input.count - taken)
                if wanted > 0 {
                    payload.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[taken..<(taken + wanted)]))
                    taken += wanted
                }
                if payload.count == length {
                    return (taken, .frame(payload))
                }
                state = .body(payload: payload, length: length)
                return (taken, nil)
            }
        }
    }
}
