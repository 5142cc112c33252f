import Attestation
import EnclaveProtocol
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// The joining side of cluster key provisioning: connects to a member's cluster port over
/// mutual RA-TLS, both sides verify the other's evidence during the handshake, then asks for the
/// key, naming the database's key check so a member of another cluster refuses.
enum ClusterJoinClient {
    /// Longest the whole exchange may take.
    static let timeout: TimeAmount = .seconds(20)

    /// The cluster key received from `peer`.
    /// - Throws: `ClusterError.joinFailed` naming the peer and what failed.
    static func requestKey(from peer: ClusterConfiguration.Peer, keyCheck: [UInt8], attestation: ClusterAttestation,
                           log: @escaping @Sendable (String) -> Void) async throws -> [UInt8] {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { group.shutdownGracefully { _ in } }
        let failure = { @Sendable (reason: String) in ClusterError.joinFailed(peer: peer.description, reason: reason) }
        let context: NIOSSLContext
        do {
            let certificate = try attestation.certificate()
            context = try NIOSSLContext(configuration: ClusterAttestation.tlsConfiguration(certificate, server: false))
        } catch {
            throw failure("cannot issue this node's attested certificate: \(error)")
        }
        let answer = group.next().makePromise(of: ByteBuffer.self)
        let verify = attestation.verificationCallback(log: log, peer: "member \(peer)")
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                do {
                    try channel.pipeline.syncOperations.addHandlers(
                        NIOSSLClientHandler(context: context, serverHostname: nil, customVerificationCallback: verify),
                        ByteToMessageHandler(FrameCodec.Decoder.cluster),
                        AnswerHandler(promise: answer)
                    )
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: peer.host, port: peer.port).get()
        } catch {
            throw failure("cannot connect: \(error)")
        }
        defer { channel.close(promise: nil) }
        let timeout = channel.eventLoop.scheduleTask(in: Self.timeout) {
            answer.fail(failure("no answer within \(Self.timeout.nanoseconds / 1_000_000_000) s"))
        }
        defer { timeout.cancel() }
        do {
            let request = ClusterKeyExchange.Request(request: .init(keyCheck: Hex.encode(keyCheck)))
            // The request is written only after the handshake, which fails unless the member's
            // evidence passed verification: nothing reaches an unverified peer.
            try await channel.writeAndFlush(ClusterKeyExchange.encode(request)).get()
            let payload = try await answer.futureResult.get()
            let decoded = try ClusterKeyExchange.decode(ClusterKeyExchange.Answer.self, from: payload)
            if let error = decoded.error { throw failure("the member refused: \(error)") }
            guard let text = decoded.clusterKey, let key = Data(base64Encoded: text), key.count == 32 else {
                throw failure("the member's answer holds no 32-byte key")
            }
            return [UInt8](key)
        } catch let error as ClusterError {
            throw error
        } catch {
            throw failure("\(error) (a handshake failure here usually means one side's evidence was rejected: see both logs)")
        }
    }
}

/// Delivers the first frame (the member's answer), or the connection's failure.
private final class AnswerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let promise: EventLoopPromise<ByteBuffer>

    init(promise: EventLoopPromise<ByteBuffer>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        promise.succeed(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }
}
