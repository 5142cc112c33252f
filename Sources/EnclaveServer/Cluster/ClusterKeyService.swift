import Attestation
import EnclaveProtocol
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A member's cluster listener: joining nodes connect here over mutual RA-TLS and, once both
/// sides' evidence is verified (`ClusterAttestation`), receive the cluster key.
///
/// It serves nothing else, answers one request per connection, and closes idle connections:
/// every byte on it comes from an unauthenticated network until the handshake has verified the
/// peer, and the handshake itself refuses a peer whose evidence fails.
final class ClusterKeyService: Sendable {
    /// Connections idle longer than this are closed.
    static let idleTimeout: TimeAmount = .seconds(10)
    /// The listener's certificate is renewed this often (its validity is six times longer).
    static let renewal: TimeInterval = 600

    private let attestation: ClusterAttestation
    private let key: ClusterKey
    private let log: @Sendable (String) -> Void
    private let state = Locked(State())

    private struct State {
        var group: MultiThreadedEventLoopGroup?
        var channel: Channel?
        var context: NIOSSLContext?
        var stopped = false
    }

    init(attestation: ClusterAttestation, key: ClusterKey, log: @escaping @Sendable (String) -> Void) {
        self.attestation = attestation
        self.key = key
        self.log = log
    }

    /// Binds the listener; returns the bound port.
    func start(host: String, port: Int) async throws -> Int {
        try renew()
        scheduleRenewal()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        state.withLock { $0.group = group }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                self.initialize(channel)
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        state.withLock { $0.channel = channel }
        return channel.localAddress?.port ?? port
    }

    /// Closes the listener and its threads.
    func stop() async {
        let (channel, group) = state.withLock { state in
            defer { state.channel = nil; state.group = nil; state.stopped = true }
            return (state.channel, state.group)
        }
        try? await channel?.close()
        try? await group?.shutdownGracefully()
    }

    /// Issues a fresh attested certificate and the context presenting it. Evidence may come from
    /// a device, so this runs at start and on a timer, never on an event loop.
    private func renew() throws {
        let certificate = try attestation.certificate()
        let context = try NIOSSLContext(configuration: ClusterAttestation.tlsConfiguration(certificate, server: true))
        state.withLock { $0.context = context }
    }

    private func scheduleRenewal() {
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.renewal) { [weak self] in
            guard let self, !self.state.withLock({ $0.stopped }) else { return }
            do {
                try self.renew()
            } catch {
                // The previous certificate stays valid for a while longer; try again next time.
                self.log("cluster: cannot renew the cluster certificate: \(error)")
            }
            self.scheduleRenewal()
        }
    }

    private func initialize(_ channel: Channel) -> EventLoopFuture<Void> {
        guard let context = state.withLock({ $0.context }) else {
            return channel.eventLoop.makeFailedFuture(ClusterError.store("the cluster listener has no certificate"))
        }
        let peer = channel.remoteAddress.map { "\($0)" } ?? "a peer"
        do {
            try channel.pipeline.syncOperations.addHandlers(
                IdleStateHandler(readTimeout: Self.idleTimeout),
                NIOSSLServerHandler(context: context, customVerificationCallback: attestation.verificationCallback(log: log, peer: peer)),
                ByteToMessageHandler(FrameCodec.Decoder.cluster),
                KeyRequestHandler(key: key, log: log, peer: peer)
            )
            return channel.eventLoop.makeSucceededVoidFuture()
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
    }
}

/// Answers the one key request of a verified peer, then closes.
private final class KeyRequestHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let key: ClusterKey
    private let log: @Sendable (String) -> Void
    private let peer: String
    private var answered = false

    init(key: ClusterKey, log: @escaping @Sendable (String) -> Void, peer: String) {
        self.key = key
        self.log = log
        self.peer = peer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        answered = true
        let answer: ClusterKeyExchange.Answer
        do {
            let request = try ClusterKeyExchange.decode(ClusterKeyExchange.Request.self, from: unwrapInboundIn(data))
            if request.request.keyCheck.lowercased() == Hex.encode(key.checkValue) {
                answer = ClusterKeyExchange.Answer(clusterKey: Data(key.bytes).base64EncodedString())
                log("cluster: sent the cluster key to \(peer) (both sides attested)")
            } else {
                answer = ClusterKeyExchange.Answer(error: "the joining node's database holds another cluster's key check; this member belongs to a different cluster")
                log("cluster: refused \(peer): its database belongs to another cluster")
            }
        } catch {
            answer = ClusterKeyExchange.Answer(error: "malformed cluster key request: \(error)")
        }
        guard let frame = try? ClusterKeyExchange.encode(answer) else {
            context.close(promise: nil)
            return
        }
        context.writeAndFlush(wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        log("cluster: connection from \(peer) closed: \(error)")
        context.close(promise: nil)
    }
}
