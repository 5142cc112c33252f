import NIOCore

/// Sits right after TLS and looks at the first decrypted byte to choose the protocol of the
/// connection: an HTTP/1.1 request line starts with a method, an upper-case ASCII letter; a frame
/// header starts with 0x00 for every legal size. Anything else goes to the frame decoder, which
/// answers an oversized length with its `Error` (as before HTTP was served on this port). The
/// chosen handlers are installed after the sniffer, which hands them the bytes and leaves.
final class ProtocolSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Adds a protocol's handlers at the end of the pipeline.
    typealias Installer = (ChannelPipeline.SynchronousOperations) throws -> Void

    private let installFrames: Installer
    private let installHTTP: Installer
    private var decided = false

    init(frames: @escaping Installer, http: @escaping Installer) {
        self.installFrames = frames
        self.installHTTP = http
    }

    /// Whether a connection whose first byte is `byte` speaks HTTP.
    static func isHTTP(firstByte byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard !decided, let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else {
            context.fireChannelRead(data)
            return
        }
        decided = true
        do {
            try (Self.isHTTP(firstByte: first) ? installHTTP : installFrames)(context.pipeline.syncOperations)
        } catch {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// A server shutdown before the first byte: nothing was asked, so the connection closes.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is RequestHandler.Drain, !decided {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
