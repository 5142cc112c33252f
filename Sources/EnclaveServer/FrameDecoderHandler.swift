import EnclaveProtocol
import NIOCore

/// What the frame decoder passes on: a request payload, or the news that the stream broke.
enum InboundFrame: Sendable {
    /// One complete frame payload.
    case request([UInt8])
    /// A header declared more than the limit; the stream position is lost and the connection
    /// must be answered with an `Error` and closed (SPEC §2, improve: the original stalled).
    case oversized(FrameError)
}

/// Splits the decrypted byte stream into frames, however TLS records cut it.
///
/// The length is checked as soon as the 4 header bytes arrive, so an oversized frame is refused
/// before any of its body is buffered.
final class FrameDecoderHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = InboundFrame

    private var decoder = FrameDecoder()
    private var broken = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !broken else { return }  // after an oversized header the rest is noise
        let buffer = unwrapInboundIn(data)
        decoder.append(buffer.readableBytesView)
        do {
            while let payload = try decoder.nextFrame() {
                context.fireChannelRead(wrapInboundOut(.request(payload)))
            }
        } catch {
            broken = true
            decoder = FrameDecoder()  // release whatever was buffered
            context.fireChannelRead(wrapInboundOut(.oversized(error)))
        }
    }
}
