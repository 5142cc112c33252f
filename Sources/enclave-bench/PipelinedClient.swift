import EnclaveProtocol
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// A minimal client for measuring the server: one TLS 1.3 connection that keeps up to `window`
/// requests in flight (pipelining: write the next frame before the previous answer arrives) and
/// times each answer. `EnclaveConnection` waits for each answer, so it cannot saturate a server.
final class PipelinedConnection: @unchecked Sendable {
    // @unchecked: the handler's state is confined to the channel's event loop.
    let channel: Channel
    private let handler: PipelineHandler

    private init(channel: Channel, handler: PipelineHandler) {
        self.channel = channel
        self.handler = handler
    }

    /// The client side's one event loop thread (the server has its own threads, in another
    /// process or in this one); it lives as long as the process.
    static let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// One client context for every connection: TLS 1.3, no certificate check (the benchmark
    /// measures the transport; `enclave verify` is what checks RA-TLS evidence), no session
    /// resumption (NIOSSL clients keep no session cache), so every handshake is a full one.
    static func makeContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateVerification = .none
        return try NIOSSLContext(configuration: configuration)
    }

    /// Connects and completes the TLS handshake; `http` reads HTTP/1.1 responses instead of frames.
    static func connect(port: Int, context: NIOSSLContext, group: EventLoopGroup, http: Bool = false) -> EventLoopFuture<PipelinedConnection> {
        let eventLoop = group.next()
        let handshake = eventLoop.makePromise(of: Void.self)
        let handler = PipelineHandler(handshake: handshake, http: http)
        return ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                do {
                    let tls = try NIOSSLClientHandler(context: context, serverHostname: nil)
                    try channel.pipeline.syncOperations.addHandlers([tls, handler])
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .flatMap { channel in
                handshake.futureResult.map { PipelinedConnection(channel: channel, handler: handler) }
                    .flatMapErrorThrowing { error in
                        channel.close(promise: nil)
                        throw error
                    }
            }
    }

    /// Sends `total` copies of the request `payload`, keeping `window` in flight, and completes
    /// when every answer has arrived.
    func run(payload: [UInt8], total: Int, window: Int) -> EventLoopFuture<PipelineResult> {
        run(request: Frame.encode(payload), total: total, window: window)
    }

    /// Sends `total` copies of the raw request bytes `request` (a whole frame or HTTP request).
    func run(request: [UInt8], total: Int, window: Int) -> EventLoopFuture<PipelineResult> {
        channel.eventLoop.flatSubmit { [handler, channel] in
            handler.start(frame: request, total: total, window: window, channel: channel)
        }
    }

    /// The bytes of an HTTP/1.1 request as a keep-alive client sends it.
    static func httpRequest(_ method: String, _ path: String, body: [UInt8]? = nil) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        return Array((head + "\r\n").utf8) + (body ?? [])
    }

    func close() -> EventLoopFuture<Void> {
        channel.close()
    }
}

/// What one pipelined run observed.
struct PipelineResult: Sendable {
    /// First write to last answer.
    var elapsed: UInt64
    /// Per request: its write to its answer (answers come back in request order).
    var latencies: Samples
    /// Answers that were not a `Data` envelope with `"status":"ok"` in it.
    var failures: Int
    var firstFailure: String?
}

/// Writes frames, decodes length-prefixed answers, keeps the window full.
private final class PipelineHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: its mutable state is only touched on the channel's event loop (the pipeline's
    // callbacks, and `PipelinedConnection`'s methods, which hop to that loop first); it is
    // created off the loop and handed to the channel initializer before any of that state is used.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var handshake: EventLoopPromise<Void>?
    private var buffer = ByteBuffer()
    private var frame = ByteBuffer()
    private var total = 0, sent = 0, received = 0
    private var window = 1
    private var sendTimes: [UInt64] = []
    private var started: UInt64 = 0
    private var latencies = Samples()
    private var failures = 0
    private var firstFailure: String?
    private var done: EventLoopPromise<PipelineResult>?
    private var context: ChannelHandlerContext?
    /// Answers are HTTP/1.1 responses (head, then a `Content-Length` body), not frames.
    private let http: Bool

    init(handshake: EventLoopPromise<Void>, http: Bool) {
        self.handshake = handshake
        self.http = http
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            handshake?.succeed(())
            handshake = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func start(frame bytes: [UInt8], total: Int, window: Int, channel: Channel) -> EventLoopFuture<PipelineResult> {
        let promise = channel.eventLoop.makePromise(of: PipelineResult.self)
        guard let context, done == nil else {
            promise.fail(BenchError("connection not ready"))
            return promise.futureResult
        }
        frame = channel.allocator.buffer(bytes: bytes)
        self.total = total
        self.window = max(1, window)
        sent = 0
        received = 0
        failures = 0
        firstFailure = nil
        sendTimes = [UInt64](repeating: 0, count: total)
        latencies = Samples(capacity: total)
        done = promise
        started = now()
        fill(context)
        return promise.futureResult
    }

    /// Writes requests until `window` are in flight, in one buffer (one TLS record, one flush).
    private func fill(_ context: ChannelHandlerContext) {
        let count = min(total - sent, window - (sent - received))
        guard count > 0 else { return }
        var batch = frame
        if count > 1 {
            batch = context.channel.allocator.buffer(capacity: frame.readableBytes * count)
            for _ in 0..<count { batch.writeImmutableBuffer(frame) }
        }
        let time = now()
        for index in sent..<(sent + count) { sendTimes[index] = time }
        sent += count
        context.writeAndFlush(wrapOutboundOut(batch), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        if http {
            while let body = nextHTTPBody() { answered(body) }
        } else {
            while let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
                  buffer.readableBytes >= 4 + Int(length) {
                buffer.moveReaderIndex(forwardBy: 4)
                let payload = buffer.readSlice(length: Int(length))!
                answered(payload)
            }
        }
        buffer.discardReadBytes()
        // Refill the window once per read, not once per answer: one TLS record and one syscall
        // for all the requests the answers in this read made room for.
        if done != nil { fill(context) }
    }

    /// The body of the next complete HTTP response, or nil until it has arrived. Scans bytes
    /// (no strings): the client's own cost stays small beside the server's.
    private func nextHTTPBody() -> ByteBuffer? {
        buffer.withUnsafeReadableBytes { bytes -> (head: Int, body: Int)? in
            guard let headLength = Self.headLength(bytes), let length = Self.contentLength(bytes[..<headLength]) else { return nil }
            return (headLength, length)
        }.flatMap { head, body in
            guard buffer.readableBytes >= head + body else { return nil }
            buffer.moveReaderIndex(forwardBy: head)
            return buffer.readSlice(length: body)
        }
    }

    /// The length of the head up to and including its blank line, once it has all arrived.
    private static func headLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count where bytes[index] == 0x0A && bytes[index - 1] == 0x0D
            && bytes[index - 2] == 0x0A && bytes[index - 3] == 0x0D {
            return index + 1
        }
        return nil
    }

    private static let contentLengthName = Array("content-length:".utf8)

    /// The value of the `Content-Length` field of a response head (any letter case).
    private static func contentLength(_ head: Slice<UnsafeRawBufferPointer>) -> Int? {
        var lineStart = head.startIndex
        while lineStart < head.endIndex {
            let lineEnd = head[lineStart...].firstIndex(of: 0x0A) ?? head.endIndex
            let line = head[lineStart..<lineEnd]
            if line.count > contentLengthName.count,
               zip(line, contentLengthName).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) {
                var value = 0
                for byte in line.dropFirst(contentLengthName.count) where (0x30...0x39).contains(byte) {
                    value = value * 10 + Int(byte - 0x30)
                }
                return value
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    private func answered(_ payload: ByteBuffer) {
        guard done != nil, received < total else { return }
        latencies.add(now() - sendTimes[received])
        received += 1
        // Only the first answer is decoded fully; the rest are checked to be a `Data` envelope
        // of the same length, which is cheap enough not to slow the client down.
        if received == 1 || payload.readableBytes != firstLength {
            if let problem = http ? Self.httpProblem(in: payload) : Self.problem(in: payload) {
                failures += 1
                if firstFailure == nil { firstFailure = problem }
            } else if received == 1 {
                firstLength = payload.readableBytes
            }
        }
        if received == total {
            let result = PipelineResult(elapsed: now() - started, latencies: latencies, failures: failures, firstFailure: firstFailure)
            let promise = done
            done = nil
            promise?.succeed(result)
        }
    }

    private var firstLength = -1

    /// Nil when the answer is `{"Data":…}` whose inner JSON says `"status":"ok"` (or `Pong`).
    private static func problem(in payload: ByteBuffer) -> String? {
        let bytes = Array(payload.readableBytesView)
        switch Response.decode(bytes) {
        case .pong?: return nil
        case .data(let inner)?:
            let text = String(decoding: inner, as: UTF8.self)
            return text.contains("\"status\":\"ok\"") || text.contains("\"status\":\"loaded\"") ? nil : String(text.prefix(200))
        case let other: return "unexpected answer: \(String(describing: other).prefix(200))"
        }
    }

    /// Nil when an HTTP body is an inner document (or `/healthz` answer) saying `"status":"ok"`.
    private static func httpProblem(in body: ByteBuffer) -> String? {
        let text = String(decoding: body.readableBytesView, as: UTF8.self)
        return text.contains("\"status\":\"ok\"") ? nil : String(text.prefix(200))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        handshake?.fail(error)
        handshake = nil
        done?.fail(error)
        done = nil
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshake?.fail(BenchError("connection closed during the handshake"))
        handshake = nil
        done?.fail(BenchError("connection closed with \(total - received) answers outstanding"))
        done = nil
        context.fireChannelInactive()
    }
}
