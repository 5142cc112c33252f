import NIOCore
import NIOSSL
import NIOTLS

/// The time limits of one connection, after the TLS handler: the handshake must complete within
/// `handshakeTimeout` of the accept, and a connection with nothing in progress — no byte read,
/// none written, no request being answered — for `idleTimeout` is closed. Without them a client
/// that opens connections and never speaks holds a descriptor and TLS state for ever
/// (measured: 2,000 idle connections stayed open).
///
/// The request handler reports requests in progress with outbound user events (`Activity`), so
/// a slow call is never mistaken for an idle connection. Closing an idle connection sends TLS
/// close_notify and no frame: no request is waiting for an answer.
final class ConnectionDeadlines: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What the request handler tells this handler, as outbound user events.
    enum Activity: Sendable {
        case requestStarted
        case requestFinished
    }

    private let handshakeTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var handshakeDeadline: Scheduled<Void>?
    private var idleCheck: Scheduled<Void>?
    /// Read from the event loop's clock (`context.eventLoop.now`), so tests can drive time.
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)
    private var requestsInProgress = 0

    init(handshakeTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.handshakeTimeout = handshakeTimeout
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        lastActivity = context.eventLoop.now
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        handshakeDeadline = context.eventLoop.scheduleTask(in: handshakeTimeout) {
            // Still here, so no handshakeCompleted event arrived in time.
            bound.value.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted? = event as? TLSUserEvent {
            handshakeDeadline?.cancel()
            handshakeDeadline = nil
            lastActivity = context.eventLoop.now
            scheduleIdleCheck(at: lastActivity + idleTimeout, context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = context.eventLoop.now
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastActivity = context.eventLoop.now
        context.write(data, promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let activity = event as? Activity else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch activity {
        case .requestStarted: requestsInProgress += 1
        case .requestFinished: requestsInProgress = max(0, requestsInProgress - 1)
        }
        lastActivity = context.eventLoop.now
        promise?.succeed(())
    }

    private func scheduleIdleCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.checkIdle(context: context)
        }
    }

    private func checkIdle(context: ChannelHandlerContext) {
        let now = context.eventLoop.now
        if requestsInProgress > 0 {
            scheduleIdleCheck(at: now + idleTimeout, context: context)
        } else if now - lastActivity >= idleTimeout {
            idleCheck = nil
            context.close(promise: nil)
        } else {
            scheduleIdleCheck(at: lastActivity + idleTimeout, context: context)
        }
    }

    private func cancelTimers() {
        handshakeDeadline?.cancel()
        handshakeDeadline = nil
        idleCheck?.cancel()
        idleCheck = nil
    }
}
