import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// Fetches the leaf certificate a server presents, with a TLS 1.3 handshake and nothing else
/// (no request is sent), for `enclave verify` and tests.
public enum PeerCertificateFetcher {
    /// Connects, completes the handshake, returns the peer's leaf certificate (DER) and closes.
    /// - Parameters:
    ///   - host: host name or IP address.
    ///   - port: TCP port.
    ///   - serverName: SNI to send (an app's hostname selects its certificate); nil sends none.
    ///   - timeout: limit for connect plus handshake.
    ///   - group: event loops to use.
    /// - Throws: ``EnclaveClientError`` when the server cannot be reached or the handshake fails.
    public static func fetch(
        host: String,
        port: Int,
        serverName: String? = nil,
        timeout: TimeAmount = .seconds(10),
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws -> [UInt8] {
        guard (0 ... 65535).contains(port) else { throw EnclaveClientError.invalidArgument("port \(port) is out of range 0-65535") }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateVerification = .none  // the caller verifies the evidence instead
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw EnclaveClientError.tlsHandshakeFailed(host: host, port: port, reason: "\(error)")
        }
        let eventLoop = group.next()
        let handshake = eventLoop.makePromise(of: Void.self)
        let timer = eventLoop.scheduleTask(in: timeout) {
            handshake.fail(EnclaveClientError.tlsHandshakeFailed(host: host, port: port, reason: "timed out"))
        }
        defer { timer.cancel() }
        let channel: Channel
        do {
            channel = try ClientBootstrap(group: eventLoop)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let tls = try NIOSSLClientHandler(context: context, serverHostname: serverName)
                        try channel.pipeline.syncOperations.addHandlers(tls, HandshakeWatcher(promise: handshake))
                    }
                }
                .connect(host: host, port: port).wait()
        } catch {
            handshake.fail(error)
            throw EnclaveClientError.connectionFailed(host: host, port: port, reason: EnclaveConnection.describeConnectError(error))
        }
        defer { channel.close(promise: nil) }
        do {
            try handshake.futureResult.wait()
        } catch let error as EnclaveClientError {
            throw error
        } catch {
            throw EnclaveClientError.tlsHandshakeFailed(host: host, port: port, reason: "\(error)")
        }
        let der = try channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).peerCertificate?.toDERBytes()
        }.wait()
        guard let der else {
            throw EnclaveClientError.tlsHandshakeFailed(host: host, port: port, reason: "the server presented no certificate")
        }
        return der
    }
}

/// Completes a promise when the TLS handshake finishes, fails it if the channel dies first.
private final class HandshakeWatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { promise.succeed(()) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }
}
