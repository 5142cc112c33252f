import EnclaveProtocol
import NIOCore

/// A client protocol handler (frames, or HTTP/1.1): it writes requests and matches the answers
/// to them in order through its ``OutstandingRequests``. The connection's lifecycle around them
/// (handshake, errors, close, timeouts) is the same for both and written once, here.
/// Runs only on its channel's event loop.
protocol ResponseMatcher: ChannelDuplexHandler {
    /// What the handler remembers per request to read its answer.
    associatedtype Expected
    var requests: OutstandingRequests<Expected> { get set }
    var context: ChannelHandlerContext? { get set }
}

extension ResponseMatcher {
    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Fails everything outstanding with `error` and closes the channel (a timeout).
    func abort(with error: Error) {
        if let context { fail(context: context, error) } else { requests.fail(error) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        requests.noteHandshake(event)
        context.fireUserInboundEventTriggered(event)
    }

    /// A frame the decoder refused (over the limit) is the server's fault: a malformed response.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let frameError = error as? FrameError
        fail(context: context, frameError.map { EnclaveClientError.malformedResponse($0.description) } ?? error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        requests.connectionClosed()
        context.fireChannelInactive()
    }

    /// Fails everything outstanding and closes: after a framing error or timeout the byte
    /// stream can no longer be matched to requests.
    func fail(context: ChannelHandlerContext, _ error: Error) {
        requests.fail(error)
        context.close(promise: nil)
    }
}
