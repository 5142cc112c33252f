import EnclaveProtocol
import NIOCore

/// One request on its way out, with the promise its response will complete.
struct PendingRequest {
    let payload: [UInt8]
    let response: EventLoopPromise<ReceivedResponse>
}

/// A response as it arrived: one frame's payload, or the inner document reassembled from a
/// chunked response (`Chunked` head, then `Data` chunks), already checked against its head.
enum ReceivedResponse: Sendable {
    case frame([UInt8])
    case assembled([UInt8])
}

/// Frames outgoing requests and matches incoming response frames to them in order (the
/// protocol answers requests in order, one response each). Reads the payloads that
/// `FrameCodec.Decoder` splits off the stream ahead of it. Runs only on its channel's event loop.
final class FrameChannelHandler: ResponseMatcher {
    /// One frame's payload.
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = PendingRequest
    typealias OutboundOut = ByteBuffer

    var requests: OutstandingRequests<Void>
    /// The chunked response being reassembled for the first waiting request.
    private var assembly: ChunkedAssembly?
    /// The largest chunked response accepted (a hostile server could announce any size).
    private let maxAssembledBytes: Int
    var context: ChannelHandlerContext?

    init(handshake: EventLoopPromise<Void>, closedError: EnclaveClientError,
         maxAssembledBytes: Int = ChunkedAssembly.defaultLimit) {
        self.requests = OutstandingRequests(handshake: handshake, closedError: closedError)
        self.maxAssembledBytes = maxAssembledBytes
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard requests.admit(request, expecting: (), write: promise) else { return }
        var buffer = context.channel.allocator.buffer(capacity: Frame.headerSize + request.payload.count)
        buffer.writeFrame(request.payload)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard requests.failure == nil else { return }
        let payload = Array(unwrapInboundIn(data).readableBytesView)
        guard !requests.isEmpty else {
            fail(context: context, EnclaveClientError.malformedResponse("a response arrived with no request outstanding"))
            return
        }
        do {
            if let response = try receive(payload) {
                requests.next()?.response.succeed(response)
            }
        } catch {
            fail(context: context, error)
        }
    }

    /// The response `payload` completes, or nil while a chunked response is still arriving.
    private func receive(_ payload: [UInt8]) throws -> ReceivedResponse? {
        if var current = assembly {
            assembly = nil  // keep the buffer unique while it grows
            guard case .data(let bytes)? = Response.decode(payload) else {
                throw EnclaveClientError.malformedResponse("a chunk of a chunked response is not a Data frame")
            }
            if let document = try current.add(bytes) { return .assembled(document) }
            assembly = current
            return nil
        }
        // The head is small: only a short frame can be one.
        guard payload.count < 512, payload.starts(with: Array(#"{"Chunked""#.utf8)),
              case .chunked(let head)? = Response.decode(payload) else { return .frame(payload) }
        assembly = try ChunkedAssembly(head, limit: maxAssembledBytes)
        return nil
    }
}
