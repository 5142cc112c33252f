import EnclaveProtocol
import NIOCore
import NIOHTTP1

/// Serves HTTP/1.1 requests on one connection, one at a time and in order, within the server's
/// limits: a JSON body is at most 16 MiB, one larger than 64 KiB reserves its `Content-Length`
/// in the server-wide request budget before it is read (the connection waits its turn with its
/// bytes left in the kernel, as frames do), a body that stops arriving while it holds budget ends
/// the connection, and a connection that sends no complete request head for
/// `requestHeadTimeout` (idle keep-alive included) is closed.
///
/// Pipelined requests wait: while one is being answered, later parts are held and the socket is
/// not read, so at most one read's worth is ever buffered beyond the request in progress.
final class HTTPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    /// Responses leave as bytes (`HTTPResponseWire`): one write per answer.
    typealias OutboundOut = ByteBuffer

    /// How long a connection may go without sending a complete request head.
    static let requestHeadTimeout = TimeAmount.seconds(60)

    private let router: HTTPRouter
    private let budget: RequestMemoryBudget
    private let stallTimeout: TimeAmount
    private let requestShutdown: @Sendable () -> Void
    /// This connection's number in the log, and how many requests it has sent.
    private let connectionID: UInt64
    private var requestCount: UInt64 = 0

    private enum State {
        case idle
        /// Reading the body of `head` into `body`, at most `bodyLimit` bytes.
        case reading(head: HTTPRequestHead)
        /// The request is complete (or refused) and being answered.
        case answering
        case closed
    }

    private var state = State.idle
    /// The method of the request being read or answered (its response's framing depends on it).
    private var method: HTTPMethod?
    private var body: [UInt8] = []
    private var bodyLimit = 0
    private var reserved = 0
    private var ticket: RequestMemoryBudget.Ticket?
    private var awaitingGrant = false
    /// The request sent `Expect: 100-continue`: its client waits for `100 Continue` (curl up to
    /// a second) before sending the body, which it gets once the body will be read.
    private var continuePending = false
    private var readHeld = false
    /// A read held back while the budget or an answer is pending is not the client's stall.
    private var stall = StallWatch()
    private var pending: [HTTPServerRequestPart] = []
    /// A complete request is being answered (reported to `ConnectionDeadlines`).
    private var answerInProgress = false
    /// The server is shutting down: the connection closes once what it received is answered.
    private var draining = false
    /// Since when the connection waits for a request head (nil: a request is in progress), and
    /// the one timer that checks it (re-armed only when it fires, not per request).
    private var awaitingHeadSince: NIODeadline?
    private var headDeadline: Scheduled<Void>?
    private var stallCheck: Scheduled<Void>?

    init(router: HTTPRouter, budget: RequestMemoryBudget, stallTimeout: TimeAmount, connectionID: UInt64 = 0,
         requestShutdown: @escaping @Sendable () -> Void) {
        self.connectionID = connectionID
        self.router = router
        self.budget = budget
        self.stallTimeout = stallTimeout
        self.requestShutdown = requestShutdown
    }

    func handlerAdded(context: ChannelHandlerContext) {
        armHeadDeadline(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        releaseEverything()
    }

    func channelInactive(context: ChannelHandlerContext) {
        releaseEverything()
        state = .closed
        context.fireChannelInactive()
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        stall.readDelivered()
        switch state {
        case .answering:
            pending.append(part)  // a pipelined request: its turn comes after this answer
        case .closed:
            return
        default:
            process(part, context: context)
        }
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch (part, state) {
        case (.head(let head), .idle):
            awaitingHeadSince = nil
            method = head.method
            begin(head, context: context)
        case (.body(let chunk), .reading):
            stall.bytesArrived()
            guard body.count + chunk.readableBytes <= bodyLimit else {
                fail(.error(.payloadTooLarge, Self.tooLarge(body.count + chunk.readableBytes, limit: bodyLimit)), context: context)
                return
            }
            body.append(contentsOf: chunk.readableBytesView)
        case (.end, .reading(let head)):
            stallCheck?.cancel()
            state = .answering
            var request = HTTPRequest(head: head, body: body)
            requestCount += 1
            request.origin = RequestOrigin(connection: connectionID, request: requestCount)
            body = []
            answer(request, context: context)
        default:
            fail(.error(.badRequest, "malformed request: unexpected \(part)"), context: context)
        }
    }

    /// A request head: refuse what cannot be served before reading its body, reserve budget for
    /// a large body, and start reading.
    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let declared = head.headers.first(name: "content-length").flatMap { Int($0) }
        if let declared, declared > HTTPWire.maxJSONBodyBytes {
            refuse(.error(.payloadTooLarge, Self.tooLarge(declared, limit: HTTPWire.maxJSONBodyBytes)), context: context)
            return
        }
        // Without a length the budget cannot be reserved up front, so such bodies stay small.
        bodyLimit = declared ?? (head.headers.contains(name: "transfer-encoding") ? HTTPWire.maxChunkedBodyBytes : 0)
        let length = declared ?? 0
        body = []
        body.reserveCapacity(length)
        state = .reading(head: head)
        continuePending = Self.expectsContinue(head)
        guard length > RequestMemoryBudget.smallFrameLimit else {
            _ = budget.reserve(length) {}  // counted, never waits (as small frames)
            reserved = length
            sendContinueIfExpected(context: context)
            return
        }
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        switch budget.reserve(length, grant: { loop.execute { bound.value.0.granted(length, context: bound.value.1) } }) {
        case .reserved:
            reserved = length
            sendContinueIfExpected(context: context)
            scheduleStallCheck(context: context)
        case .queued(let queued):
            ticket = queued
            awaitingGrant = true
        }
    }

    private func granted(_ length: Int, context: ChannelHandlerContext) {
        ticket = nil
        guard case .reading = state else {
            budget.release(length)
            return
        }
        awaitingGrant = false
        reserved = length
        sendContinueIfExpected(context: context)
        scheduleStallCheck(context: context)
        if readHeld {
            readHeld = false
            forwardRead(context: context)
        }
    }

    /// `Expect: 100-continue` on an HTTP/1.1 request (RFC 9110 §10.1.1; HTTP/1.0 clients cannot ask).
    private static func expectsContinue(_ head: HTTPRequestHead) -> Bool {
        head.version != .http1_0 && head.headers[canonicalForm: "expect"].contains { $0.lowercased() == "100-continue" }
    }

    /// Tells a client waiting for it to send the body: the request passed the checks made on its
    /// head and the budget holds its length. (A refused request gets its final answer instead.)
    private func sendContinueIfExpected(context: ChannelHandlerContext) {
        guard continuePending else { return }
        continuePending = false
        var buffer = context.channel.allocator.buffer(capacity: HTTPResponseWire.continueHead.utf8CodeUnitCount)
        buffer.writeStaticString(HTTPResponseWire.continueHead)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    static func tooLarge(_ size: Int, limit: Int) -> String {
        "request body of \(size) bytes exceeds the \(limit)-byte limit; send larger components with the streamed load "
            + "(wasm_load_begin, wasm_load_chunk, wasm_load_commit; see docs/protocol.md)"
    }

    /// Answers without reading the body, then closes: the client may still be sending it.
    private func refuse(_ answer: HTTPAnswer, context: ChannelHandlerContext) {
        fail(answer, context: context)
    }

    /// A broken request: answer and close.
    private func fail(_ answer: HTTPAnswer, context: ChannelHandlerContext) {
        releaseEverything()
        var answer = answer
        answer.closeAfter = true
        state = .answering
        write(answer, keepAlive: false, context: context)
    }

    // MARK: Answering

    private func answer(_ request: HTTPRequest, context: ChannelHandlerContext) {
        let keepAlive = Self.keepAlive(request)
        let routed = router.route(request, on: context.eventLoop)
        guard case .later(let future) = routed else {
            // Answered before this returned: the connection never waited for it, so
            // `ConnectionDeadlines` hears nothing of it (the write itself is activity).
            if case .ready(let answer) = routed { write(answer, keepAlive: keepAlive, context: context) }
            return
        }
        // A request being answered (a long call) keeps the connection from counting as idle.
        context.triggerUserOutboundEvent(ConnectionDeadlines.Activity.requestStarted, promise: nil)
        answerInProgress = true
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        future.whenComplete { result in
            let (handler, context) = bound.value
            let answer: HTTPAnswer
            switch result {
            case .success(let routed): answer = routed
            case .failure(let error): answer = .error(.internalServerError, "\(error)")
            }
            handler.write(answer, keepAlive: keepAlive, context: context)
        }
    }

    private static func keepAlive(_ request: HTTPRequest) -> Bool {
        let connection = request.header("connection")?.lowercased()
        return connection != "close"
    }

    private func write(_ answer: HTTPAnswer, keepAlive: Bool, context: ChannelHandlerContext) {
        guard case .answering = state else { return }
        let close = answer.closeAfter || !keepAlive
        let response = HTTPResponseWire.serialize(answer, close: close, method: method, allocator: context.channel.allocator)
        router.dispatcher.metrics.response(.http, bytes: answer.body.count)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(response)).whenComplete { _ in
            let (handler, context) = bound.value
            handler.finished(close: close, shutdown: answer.shutdownAfter, context: context)
        }
    }

    /// A server shutdown (`RequestHandler.Drain`): an idle connection closes now, a busy one
    /// after its answers.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is RequestHandler.Drain else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        draining = true
        if case .idle = state, pending.isEmpty {
            state = .closed
            context.close(promise: nil)
        }
    }

    private func finished(close: Bool, shutdown: Bool, context: ChannelHandlerContext) {
        if answerInProgress {
            answerInProgress = false
            context.triggerUserOutboundEvent(ConnectionDeadlines.Activity.requestFinished, promise: nil)
        }
        budget.release(reserved)
        reserved = 0
        if shutdown { requestShutdown() }
        // Draining (server shutdown): the last request received has been answered.
        if close || (draining && pending.isEmpty) {
            state = .closed
            pending = []
            context.close(promise: nil)
            return
        }
        state = .idle
        method = nil
        armHeadDeadline(context: context)
        // Requests that arrived meanwhile, up to the next one that must be answered first.
        while !pending.isEmpty {
            switch state {
            case .answering, .closed: break
            case .idle, .reading:
                process(pending.removeFirst(), context: context)
                continue
            }
            break
        }
        // Reading resumes once nothing is pending.
        if readHeld, pending.isEmpty, !awaitingGrant {
            readHeld = false
            forwardRead(context: context)
        }
    }

    // MARK: Backpressure and timers

    func read(context: ChannelHandlerContext) {
        if case .answering = state {
            readHeld = true
        } else if awaitingGrant {
            readHeld = true  // backpressure: leave the body in the kernel until the budget admits it
        } else {
            forwardRead(context: context)
        }
    }

    private func forwardRead(context: ChannelHandlerContext) {
        stall.readRequested()
        context.read()
    }

    private func armHeadDeadline(context: ChannelHandlerContext) {
        let now = context.eventLoop.now
        awaitingHeadSince = now
        if headDeadline == nil { scheduleHeadCheck(at: now + Self.requestHeadTimeout, context: context) }
    }

    private func scheduleHeadCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        headDeadline = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.headDeadline = nil
            guard let since = handler.awaitingHeadSince, case .idle = handler.state else { return }
            if context.eventLoop.now >= since + Self.requestHeadTimeout {
                handler.state = .closed
                context.close(promise: nil)
            } else {
                handler.scheduleHeadCheck(at: since + Self.requestHeadTimeout, context: context)
            }
        }
    }

    private func scheduleStallCheck(context: ChannelHandlerContext) {
        stallCheck?.cancel()
        stallCheck = stall.arm(self, context: context, timeout: stallTimeout) { $0.checkStall(context: $1) }
    }

    private func checkStall(context: ChannelHandlerContext) {
        guard case .reading = state, reserved > 0 else { return }
        if !stall.peerStalled {
            scheduleStallCheck(context: context)
            return
        }
        let seconds = stallTimeout.nanoseconds / 1_000_000_000
        fail(.error(.requestTimeout, "request body stalled: \(body.count) of \(reserved) bytes arrived, then nothing for \(seconds) s; closing"),
             context: context)
    }

    private func releaseEverything() {
        if let ticket, budget.cancel(ticket) { self.ticket = nil }
        awaitingGrant = false
        budget.release(reserved)
        reserved = 0
        headDeadline?.cancel()
        headDeadline = nil
        stallCheck?.cancel()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if error is HTTPParserError {
            switch state {
            case .idle, .reading:
                // A request that does not parse: say so (the original answers 400), then close.
                fail(.error(.badRequest, "malformed request: \(error)"), context: context)
                return
            case .answering, .closed:
                break
            }
        }
        state = .closed
        context.close(promise: nil)
    }
}
