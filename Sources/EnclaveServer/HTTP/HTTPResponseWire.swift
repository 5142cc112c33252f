import NIOCore
import NIOHTTP1

/// An `HTTPAnswer` as the bytes of one HTTP/1.1 response, head and body in one buffer, so that
/// the connection writes it once (one TLS record for a small answer, where NIOHTTP1's encoder
/// hands TLS the head and the body as separate writes). The framing is what that encoder
/// writes for our answers: `Content-Length` always (none of our statuses is 1xx, 204 or 304),
/// no body for a `HEAD` request (the length still says what a GET would carry) and neither
/// for a `CONNECT` one (RFC 9112 §6.3).
enum HTTPResponseWire {
    /// The interim answer to `Expect: 100-continue`.
    static let continueHead: StaticString = "HTTP/1.1 100 Continue\r\n\r\n"

    /// The response to a request of `method` (nil: the request never got as far as its head).
    static func serialize(_ answer: HTTPAnswer, close: Bool, method: HTTPMethod?, allocator: ByteBufferAllocator) -> ByteBuffer {
        let withBody = method != .HEAD && method != .CONNECT
        let bodyBytes = withBody ? answer.body.count : 0
        var buffer = allocator.buffer(capacity: headEstimate + answer.contentType.utf8.count + bodyBytes)
        buffer.writeStaticString("HTTP/1.1 ")
        writeDecimal(Int(answer.status.code), into: &buffer)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(answer.status.reasonPhrase)
        buffer.writeStaticString("\r\nContent-Type: ")
        buffer.writeString(answer.contentType)
        if method != .CONNECT {
            buffer.writeStaticString("\r\nContent-Length: ")
            writeDecimal(answer.body.count, into: &buffer)
        }
        buffer.writeStaticString("\r\n")
        for (name, value) in answer.extraHeaders {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        if close { buffer.writeStaticString("Connection: close\r\n") }
        buffer.writeStaticString("\r\n")
        if withBody { buffer.writeBytes(answer.body) }
        return buffer
    }

    /// Room for the status line and the fixed headers.
    private static let headEstimate = 128

    /// `value` (not negative) in decimal ASCII, without making a `String`.
    static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var remaining = max(0, value), count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                raw[raw.count - 1 - count] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
                count += 1
            } while remaining > 0
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[(raw.count - count)...]))
        }
    }
}
