import EnclaveProtocol
import NIOCore
import NIOPosix
import NIOSSL

/// A deliberately dumb TLS client for tests: it sends exactly the bytes it is given (so tests
/// can split, merge and corrupt frames) and collects whatever comes back. No certificate
/// verification: these tests are about the protocol, not about trust.
final class RawTLSClient: Sendable {
    let channel: Channel
    /// Only ever touched on `channel.eventLoop`.
    private let inbox: NIOLoopBound<Inbox>

    private init(channel: Channel, inbox: NIOLoopBound<Inbox>) {
        self.channel = channel
        self.inbox = inbox
    }

    /// Connects and completes the TLS handshake.
    static func connect(
        to address: SocketAddress,
        group: EventLoopGroup,
        maximumTLSVersion: TLSVersion? = nil
    ) async throws -> RawTLSClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        if let maximumTLSVersion {
            tls.minimumTLSVersion = .tlsv1
            tls.maximumTLSVersion = maximumTLSVersion
        }
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let ssl = try NIOSSLClientHandler(context: context, serverHostname: nil)
                    try channel.pipeline.syncOperations.addHandlers(ssl, Inbox())
                }
            }
            .connect(to: address).get()
        let inbox = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: Inbox.self), eventLoop: channel.eventLoop)
        }.get()
        let client = RawTLSClient(channel: channel, inbox: inbox)
        try await client.waitForHandshake()
        return client
    }

    private func waitForHandshake() async throws {
        try await channel.eventLoop.flatSubmit { [inbox] in inbox.value.handshake.futureResult }.get()
    }

    /// Sends raw bytes, flushed.
    func write(_ bytes: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await channel.writeAndFlush(buffer)
    }

    /// Sends one frame around `payload`.
    func send(_ payload: [UInt8]) async throws {
        try await write(Frame.encode(payload))
    }

    /// Sends one frame around a UTF-8 string.
    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// The next response payload; fails on timeout or if the server closes first.
    func readFrame(timeout: TimeAmount = .seconds(60)) async throws -> [UInt8] {
        try await channel.eventLoop.flatSubmit { [inbox] in inbox.value.nextFrame(timeout: timeout) }.get()
    }

    /// The next response, decoded (nil if it is not a valid response payload).
    func readResponse(timeout: TimeAmount = .seconds(60)) async throws -> Response? {
        Response.decode(try await readFrame(timeout: timeout))
    }

    /// Sends a frame and reads one response.
    func roundTrip(_ payload: [UInt8]) async throws -> [UInt8] {
        try await send(payload)
        return try await readFrame()
    }

    /// Sends a frame, reads the response, decodes the outer envelope.
    func request(_ text: String) async throws -> Response {
        let payload = try await roundTrip(Array(text.utf8))
        guard let response = Response.decode(payload) else { throw ClientError.notAResponse(String(decoding: payload, as: UTF8.self)) }
        return response
    }

    /// Sends an inner management document inside `Data` and parses the inner JSON answer.
    func management(_ inner: String) async throws -> JSON {
        let response = try await request(String(decoding: Request.data(Array(inner.utf8)).encoded(), as: UTF8.self))
        guard case .data(let bytes) = response else { throw ClientError.unexpected(response) }
        return try JSON.parse(bytes)
    }

    /// Waits until the server closes the connection; true if it did within `timeout`.
    func waitForClose(timeout: TimeAmount = .seconds(10)) async -> Bool {
        let closed = channel.closeFuture.map { true }
        let timer = channel.eventLoop.scheduleTask(in: timeout) {}
        let timedOut = timer.futureResult.map { false }
        let first = channel.eventLoop.makePromise(of: Bool.self)
        closed.cascade(to: first)
        timedOut.whenSuccess { first.succeed($0) }
        return (try? await first.futureResult.get()) ?? false
    }

    /// Closes the connection.
    func close() async {
        try? await channel.close()
    }

    enum ClientError: Error {
        case notAResponse(String)
        case unexpected(Response)
        case closedBeforeResponse(bufferedBytes: Int)
        case timedOut
    }
}

/// Collects inbound bytes on the event loop and hands out complete frames.
private final class Inbox: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    var handshake: EventLoopPromise<Void>!
    private var buffer: [UInt8] = []
    private var start = 0
    private var closed = false
    private var waiter: EventLoopPromise<[UInt8]>?

    func handlerAdded(context: ChannelHandlerContext) {
        handshake = context.eventLoop.makePromise()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // A connect that never became active gets no channelInactive; settle the promise here.
        handshake.fail(ChannelError.ioOnClosedChannel)
        waiter?.fail(ChannelError.ioOnClosedChannel)
        waiter = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // TLSUserEvent lives in NIOTLS, which this test target does not list as a dependency;
        // its description names the case.
        if String(describing: event).hasPrefix("handshakeCompleted") { handshake.succeed(()) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        buffer.append(contentsOf: unwrapInboundIn(data).readableBytesView)
        serve()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        handshake.fail(ChannelError.eof)
        serve()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        handshake.fail(error)
        context.close(promise: nil)
    }

    func nextFrame(timeout: TimeAmount) -> EventLoopFuture<[UInt8]> {
        let promise = handshake.futureResult.eventLoop.makePromise(of: [UInt8].self)
        precondition(waiter == nil, "one reader at a time")
        waiter = promise
        let timer = promise.futureResult.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            guard let self, let waiter = self.waiter, waiter.futureResult === promise.futureResult else { return }
            self.waiter = nil
            waiter.fail(RawTLSClient.ClientError.timedOut)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        serve()
        return promise.futureResult
    }

    private func serve() {
        guard let waiter else { return }
        let available = buffer.count - start
        if available >= 4 {
            let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
            if available >= 4 + length {
                let payload = Array(buffer[(start + 4)..<(start + 4 + length)])
                start += 4 + length
                if start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
                self.waiter = nil
                waiter.succeed(payload)
                return
            }
        }
        if closed {
            self.waiter = nil
            waiter.fail(RawTLSClient.ClientError.closedBeforeResponse(bufferedBytes: available))
        }
    }
}
