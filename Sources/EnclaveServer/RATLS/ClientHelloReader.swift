import NIOCore
import NIOSSL

/// The first handler of every connection: buffers the raw bytes until the ClientHello is
/// complete, asks the identity provider for a TLS context chosen from it (SNI, challenge
/// nonce), then puts a `NIOSSLServerHandler` with that context right after itself, replays the
/// buffered bytes into it and leaves the pipeline.
///
/// NIOSSL offers no way to see ClientHello extension `0xFFBB`, hence this reader. It never
/// blocks: parsing is a few microseconds, and the provider returns a future (certificate
/// issuance for a challenge runs off the event loop). Hostile peers are bounded: at most
/// ``maxBufferedBytes`` are held, and a ClientHello must arrive within ``timeout``.
final class ClientHelloReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Cap on bytes held before TLS starts: a maximal ClientHello, its record headers, and room
    /// for a few bytes a client may send before the server's first flight.
    static let maxBufferedBytes = ClientHelloParser.maxClientHelloLength + 4 * 1024
    /// How long a client may take to send its ClientHello.
    static let timeout = TimeAmount.seconds(10)

    private enum State {
        case reading
        case choosingContext
        case finished  // TLS started, connection refused, or channel closed
    }

    private let identity: any ServerIdentityProvider
    private let onError: @Sendable (String) -> Void
    private var state = State.reading
    private var buffered: ByteBuffer?
    private var deadline: Scheduled<Void>?

    /// - Parameters:
    ///   - identity: chooses the TLS context from the ClientHello.
    ///   - onError: receives a one-line reason when a connection is refused (for the log).
    init(identity: any ServerIdentityProvider, onError: @escaping @Sendable (String) -> Void = { _ in }) {
        self.identity = identity
        self.onError = onError
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: Self.timeout) {
            let (handler, context) = bound.value
            guard case .reading = handler.state else { return }
            handler.refuse(context: context, "no complete ClientHello within \(Self.timeout.nanoseconds / 1_000_000_000) s")
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if case .finished = state { return }  // refused: drop whatever still arrives
        if buffered == nil {
            buffered = incoming
        } else {
            buffered?.writeBuffer(&incoming)
        }
        guard let bytes = buffered, bytes.readableBytes <= Self.maxBufferedBytes else {
            refuse(context: context, "more than \(Self.maxBufferedBytes) bytes before the TLS handshake")
            return
        }
        guard case .reading = state else { return }  // a context is being chosen; keep bytes
        do {
            switch try ClientHelloParser.parse(Array(bytes.readableBytesView)) {
            case .needMoreData:
                return
            case .complete(let hello):
                state = .choosingContext
                deadline?.cancel()
                choose(hello, context: context)
            }
        } catch {
            refuse(context: context, "\(error)")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .finished
        buffered = nil
        context.fireChannelInactive()
    }

    private func choose(_ hello: ClientHelloSummary, context: ChannelHandlerContext) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        identity.context(for: hello, on: context.eventLoop)
            .hop(to: context.eventLoop)
            .whenComplete { result in
                let (handler, context) = bound.value
                guard case .choosingContext = handler.state else { return }  // closed meanwhile
                switch result {
                case .success(let sslContext):
                    handler.startTLS(sslContext, context: context)
                case .failure(let error):
                    handler.refuse(context: context, "no TLS identity for this connection: \(error)")
                }
            }
    }

    /// Inserts the TLS handler after this one, hands it every byte read so far, and leaves.
    private func startTLS(_ sslContext: NIOSSLContext, context: ChannelHandlerContext) {
        do {
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext), position: .after(self))
        } catch {
            refuse(context: context, "could not start TLS: \(error)")
            return
        }
        state = .finished
        if let bytes = buffered {
            buffered = nil
            context.fireChannelRead(wrapInboundOut(bytes))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func refuse(context: ChannelHandlerContext, _ reason: String) {
        guard state != .finished else { return }
        state = .finished
        buffered = nil
        onError("connection refused before TLS: \(reason)")
        context.close(promise: nil)
    }
}
