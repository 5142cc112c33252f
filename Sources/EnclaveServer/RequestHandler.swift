import EnclaveProtocol
import NIOCore

/// Answers the frames of one connection, one response per request, in request order.
///
/// Requests of a connection are processed one after another (a pipelined `wasm_call` must see
/// the `wasm_load` sent before it), each off the event loop through the `Dispatcher`; a promise
/// chain keeps the order. Different connections progress independently. When too many requests
/// (or too many request bytes: 32 pipelined 16 MiB frames would be 512 MiB) are queued the
/// handler stops reading from the socket, so a client cannot make us buffer without bound.
final class RequestHandler: ChannelDuplexHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let dispatcher: Dispatcher
    private let budget: RequestMemoryBudget
    private let requestShutdown: @Sendable () -> Void
    private let maxQueued: Int
    private let maxQueuedBytes: Int
    /// This connection's number in the log, and how many requests it has sent.
    private let connectionID: UInt64
    private var requestCount: UInt64 = 0

    /// Completes when every request queued so far has its answer (and its write issued).
    private var tail: EventLoopFuture<Void>?
    /// Requests queued on `tail` whose answer is not ready yet: while there are any, a new
    /// request waits its turn behind them; while there are none, it may be answered at once.
    private var unanswered = 0
    /// Requests not yet done (answered and written), for backpressure.
    private var queued = 0
    private var queuedBytes = 0
    private var readHeld = false
    /// Set once the connection is going away: later frames are ignored.
    private var closing = false
    /// Set when the server shuts down: the connection closes once its queued requests are
    /// answered, and a request arriving meanwhile is refused.
    private var draining = false
    /// Set once an answer that closes the connection has been written: queued requests after it
    /// are not started.
    private var answeredLast = false
    /// Between `channelRead` and `channelReadComplete`: answers ready meanwhile (pipelined
    /// requests, calls run on the loop) are written without a flush each and flushed together
    /// at the end of the read, one TLS write and one syscall for the lot. (A task on the loop
    /// flushes too, in case a read is not followed by `channelReadComplete`.)
    private var inReadBurst = false
    private var flushScheduled = false

    /// The user inbound event by which a shutting-down server drains a connection.
    struct Drain: Sendable {}

    /// The answer to a request that arrives while the server shuts down.
    static let shuttingDownMessage = "server is shutting down"

    /// - Parameters:
    ///   - dispatcher: answers each frame.
    ///   - maxQueued: requests queued before reading pauses.
    ///   - maxQueuedBytes: request payload bytes queued before reading pauses.
    ///   - budget: the server-wide request budget each frame's reservation goes back to.
    ///   - requestShutdown: called after an authorised `Shutdown` has been answered.
    ///   - connectionID: the connection's number in the log.
    init(dispatcher: Dispatcher, budget: RequestMemoryBudget, maxQueued: Int = 32, maxQueuedBytes: Int = 32 << 20,
         connectionID: UInt64 = 0, requestShutdown: @escaping @Sendable () -> Void) {
        self.connectionID = connectionID
        self.dispatcher = dispatcher
        self.budget = budget
        self.maxQueued = maxQueued
        self.maxQueuedBytes = maxQueuedBytes
        self.requestShutdown = requestShutdown
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inReadBurst = true
        guard !closing else { return }
        if draining {
            closing = true
            let loop = context.eventLoop
            let refusal = DispatchResult(response: .error(Self.shuttingDownMessage), action: .closeConnection)
            if case .request(_, let reservedBytes) = unwrapInboundIn(data) {
                enqueue({ loop.makeSucceededFuture(refusal) }, size: 0, reserved: reservedBytes, context: context)
            } else {
                enqueue({ loop.makeSucceededFuture(refusal) }, size: 0, reserved: 0, context: context)
            }
            return
        }
        let loop = context.eventLoop
        let dispatcher = self.dispatcher
        let work: @Sendable () -> EventLoopFuture<DispatchResult>
        let size: Int
        var reserved = 0
        switch unwrapInboundIn(data) {
        case .request(let payload, let reservedBytes):
            size = payload.count
            reserved = reservedBytes
            requestCount += 1
            let origin = RequestOrigin(connection: connectionID, request: requestCount)
            guard unanswered == 0, !answeredLast else {
                work = { dispatcher.handle(payload, on: loop, origin: origin) }
                break
            }
            // Nothing ahead of it waits for an answer, so it may be answered now, in order.
            switch dispatcher.answer(payload, on: loop, origin: origin) {
            case .ready(let result) where result.action == .none && result.chunkedBody == nil:
                writeReady(result, size: size, reserved: reserved, context: context)
                return
            case .ready(let result):
                work = { loop.makeSucceededFuture(result) }
            case .later(let answer):
                work = { answer }
            }
        case .oversized(let error):
            closing = true
            size = 0
            work = { loop.makeSucceededFuture(DispatchResult(response: .error(error.description), action: .closeConnection)) }
        case .stalled(let message):
            closing = true
            size = 0
            work = { loop.makeSucceededFuture(DispatchResult(response: .error(message), action: .closeConnection)) }
        }
        enqueue(work, size: size, reserved: reserved, context: context)
    }

    private func enqueue(_ work: @escaping @Sendable () -> EventLoopFuture<DispatchResult>, size: Int, reserved: Int,
                         context: ChannelHandlerContext) {
        queued += 1
        queuedBytes += size
        unanswered += 1
        // A connection waiting for an answer is not idle (ConnectionDeadlines).
        context.triggerUserOutboundEvent(ConnectionDeadlines.Activity.requestStarted, promise: nil)
        let loop = context.eventLoop
        let previous = tail ?? loop.makeSucceededVoidFuture()
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let answered = previous.flatMap { () -> EventLoopFuture<DispatchResult> in
            // Don't start work for a connection that is already gone or answered its last.
            let (handler, context) = bound.value
            guard context.channel.isActive, !handler.answeredLast else {
                return loop.makeFailedFuture(ChannelError.ioOnClosedChannel)
            }
            return work()
        }
        answered.whenComplete { _ in bound.value.0.unanswered -= 1 }
        // The write is issued as soon as the answer is ready (the next request then starts);
        // what follows the write (closing, releasing the budget) waits until it is done.
        answered.flatMap { result -> EventLoopFuture<PostWriteAction> in
            let (handler, context) = bound.value
            return handler.write(result, context: context)
        }.map { action in
            let (handler, context) = bound.value
            handler.perform(action, context: context)
        }.whenComplete { _ in
            let (handler, context) = bound.value
            handler.budget.release(reserved)
            handler.requestFinished(size: size, context: context)
        }
        tail = answered.map { _ in }.recover { _ in }
    }

    /// Writes an answer that was ready when its request arrived (no action follows it, no
    /// chunks): the request counts in the queue and holds its budget until the bytes are
    /// written, as a queued one does, without the futures of `enqueue`. It never waited for an
    /// answer, so `ConnectionDeadlines` hears nothing of it (the write itself is activity).
    private func writeReady(_ result: DispatchResult, size: Int, reserved: Int, context: ChannelHandlerContext) {
        queued += 1
        queuedBytes += size
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let written = context.write(wrapOutboundOut(frame(result, context: context)))
        flushAfterWrite(context: context)
        written.whenComplete { _ in
            let (handler, context) = bound.value
            handler.budget.release(reserved)
            handler.requestFinished(size: size, context: context, waitedForAnswer: false)
        }
    }

    /// The framed response of `result` (the head alone for a chunked one).
    private func frame(_ result: DispatchResult, context: ChannelHandlerContext) -> ByteBuffer {
        let payload = result.response.encoded(bytesAs: result.encoding)
        var buffer = context.channel.allocator.buffer(capacity: Frame.headerSize + payload.count)
        buffer.writeFrame(payload)
        return buffer
    }

    /// Flushes now, or at the end of the read burst the write happened in.
    private func flushAfterWrite(context: ChannelHandlerContext) {
        if inReadBurst {
            flushSoon(context: context)
        } else {
            context.flush()
        }
    }

    /// Writes one framed response (and the chunks of a chunked one); the future gives the
    /// action once the bytes are written.
    private func write(_ result: DispatchResult, context: ChannelHandlerContext) -> EventLoopFuture<PostWriteAction> {
        if result.action == .closeConnection { answeredLast = true }
        let buffer = frame(result, context: context)
        guard let body = result.chunkedBody else {
            let written = context.write(wrapOutboundOut(buffer))
            flushAfterWrite(context: context)
            return written.map { result.action }
        }
        context.write(wrapOutboundOut(buffer), promise: nil)
        var last: EventLoopFuture<Void> = context.eventLoop.makeSucceededVoidFuture()
        body.forEachChunk { chunk in
            last = context.write(wrapOutboundOut(ChunkedBody.frame(chunk, allocator: context.channel.allocator)))
        }
        context.flush()
        return last.map { result.action }
    }

    private func perform(_ action: PostWriteAction, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .closeConnection:
            closing = true
            context.close(promise: nil)
        case .shutdownServer:
            requestShutdown()
        }
    }

    private var queueIsFull: Bool {
        queued >= maxQueued || queuedBytes >= maxQueuedBytes
    }

    /// A request's answer has been written (or dropped); `waitedForAnswer`: it was queued, and
    /// `ConnectionDeadlines` was told it started.
    private func requestFinished(size: Int, context: ChannelHandlerContext, waitedForAnswer: Bool = true) {
        queued -= 1
        queuedBytes -= size
        if waitedForAnswer {
            context.triggerUserOutboundEvent(ConnectionDeadlines.Activity.requestFinished, promise: nil)
        }
        if draining, queued == 0 {
            closing = true
            context.close(promise: nil)
            return
        }
        if readHeld, !queueIsFull {
            readHeld = false
            context.read()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inReadBurst = false
        if flushScheduled { context.flush() }  // the scheduled task then finds nothing to do
        context.fireChannelReadComplete()
    }

    private func flushSoon(context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = bound.value
            handler.flushScheduled = false
            context.flush()
        }
    }

    func read(context: ChannelHandlerContext) {
        // Backpressure: leave bytes in the kernel while the queue is full.
        if queueIsFull {
            readHeld = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is Drain else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        draining = true
        // Idle: nothing to answer, close now; otherwise `requestFinished` closes after the last.
        if queued == 0 {
            closing = true
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // TLS failures, resets: nothing useful can be sent any more.
        closing = true
        context.close(promise: nil)
    }
}
