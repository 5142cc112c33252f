import EnclaveProtocol
import NIOCore
import NIOSSL
// TLSUserEvent (handshake completion). NIOTLS comes with NIOSSL; the lead is asked to declare
// `.product(name: "NIOTLS", package: "swift-nio")` for EnclaveClient explicitly.
import NIOTLS

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
/// protocol answers requests in order, one response each). Runs only on its channel's event loop.
final class FrameChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = PendingRequest
    typealias OutboundOut = ByteBuffer

    private var decoder: FrameDecoder
    private var waiting: CircularBuffer<EventLoopPromise<ReceivedResponse>> = []
    /// The chunked response being reassembled for the first waiting request.
    private var assembly: ChunkedAssembly?
    /// The largest chunked response accepted (a hostile server could announce any size).
    private let maxAssembledBytes: Int
    private let handshake: EventLoopPromise<Void>
    private let closedError: EnclaveClientError
    private var failure: Error?
    private var context: ChannelHandlerContext?

    init(handshake: EventLoopPromise<Void>, closedError: EnclaveClientError, maxPayload: Int,
         maxAssembledBytes: Int = ChunkedAssembly.defaultLimit) {
        self.handshake = handshake
        self.closedError = closedError
        self.decoder = FrameDecoder(maxPayload: maxPayload)
        self.maxAssembledBytes = maxAssembledBytes
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Fails everything outstanding with `error` and closes the channel (e.g. on a timeout).
    /// Must run on the channel's event loop.
    func abort(with error: Error) {
        if let context {
            fail(context: context, error)
        } else {
            failAll(error)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            // The stream is already broken; answering later requests would mismatch responses.
            request.response.fail(failure)
            promise?.fail(failure)
            return
        }
        waiting.append(request.response)
        var buffer = context.channel.allocator.buffer(capacity: 4 + request.payload.count)
        buffer.writeInteger(UInt32(truncatingIfNeeded: request.payload.count), endianness: .big)
        buffer.writeBytes(request.payload)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        decoder.append(buffer.readableBytesView)
        do {
            while let payload = try decoder.nextFrame() {
                guard !waiting.isEmpty else {
                    fail(context: context, EnclaveClientError.malformedResponse("a response arrived with no request outstanding"))
                    return
                }
                if let response = try receive(payload) {
                    waiting.removeFirst().succeed(response)
                }
            }
        } catch let error as FrameError {
            fail(context: context, EnclaveClientError.malformedResponse(error.description))
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

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent {
            handshake.succeed(())
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(context: context, error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(failure ?? closedError)
        context.fireChannelInactive()
    }

    /// Fails everything outstanding and closes: after a framing error or timeout the byte
    /// stream can no longer be matched to requests.
    func fail(context: ChannelHandlerContext, _ error: Error) {
        if failure == nil { failure = error }
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: Error) {
        handshake.fail(error)  // no-op once succeeded
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}
