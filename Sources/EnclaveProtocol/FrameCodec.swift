import NIOCore

/// The frame codec for NIO pipelines: `ByteToMessageHandler(FrameCodec.Decoder())` turns the
/// byte stream into one `ByteBuffer` per frame payload, and `ByteBuffer.writeFrame(_:)` writes a
/// payload behind its length prefix. Server and client frame their bytes through these.
///
/// (The server's request side reads through `FrameReader` instead: it reserves memory budget
/// between a frame's header and its body, which an accumulating decoder cannot.)
public enum FrameCodec {
    /// Splits a byte stream into frame payloads, however it was cut into reads; several frames in
    /// one read come out one by one. A header declaring more than `maxPayload` fails the stream
    /// (`FrameError.tooLarge`) before any of its body is buffered.
    public struct Decoder: NIOSingleStepByteToMessageDecoder {
        public typealias InboundOut = ByteBuffer

        /// The largest payload accepted.
        public let maxPayload: Int

        public init(maxPayload: Int = Frame.maxPayload) {
            self.maxPayload = maxPayload
        }

        public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
            guard let declared = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
                return nil
            }
            let length = try Frame.payloadLength(declared: declared, limit: maxPayload)
            guard buffer.readableBytes >= Frame.headerSize + length else { return nil }
            buffer.moveReaderIndex(forwardBy: Frame.headerSize)
            return buffer.readSlice(length: length)
        }

        /// At end of stream a partial frame is dropped: there is no one left to answer.
        public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
            try decode(buffer: &buffer)
        }
    }
}

extension ByteBuffer {
    /// Writes `payload` as one frame: its 4-byte big-endian length, then the bytes. The caller
    /// keeps payloads within the peer's limit (`Frame.maxPayload` for the enclave protocol).
    /// - Returns: the bytes written, header included.
    @discardableResult
    public mutating func writeFrame<Bytes: Sequence>(_ payload: Bytes) -> Int where Bytes.Element == UInt8 {
        // `writeLengthPrefixed` throws only when the length does not fit a UInt32 (over 4 GiB):
        // no frame comes near that, so such a payload is a programming error.
        do {
            return try writeLengthPrefixed(endianness: .big, as: UInt32.self) { $0.writeBytes(payload) }
        } catch {
            preconditionFailure("a frame payload does not fit a 4-byte length: \(error)")
        }
    }
}
