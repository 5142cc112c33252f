import EnclaveProtocol
import NIOCore
import NIOPosix
import NIOSSL

/// What the scripted test server does with one request payload.
enum ServerAction {
    /// Answer with this payload (framed).
    case reply([UInt8])
    /// Write these bytes as they are (for malformed-frame tests).
    case raw([UInt8])
    /// Close the connection without answering.
    case close
    /// Never answer (for timeout tests).
    case ignore
}

/// A TLS 1.3 frame server on 127.0.0.1 with a scripted responder, standing in for enclave-os.
final class TestFrameServer {
    let channel: Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    init(responder: @escaping @Sendable ([UInt8]) -> ServerAction) throws {
        let certificate = try NIOSSLCertificate(bytes: Array(Self.certificatePEM.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(Self.keyPEM.utf8), format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv13
        let context = try NIOSSLContext(configuration: configuration)
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                do {
                    try channel.pipeline.syncOperations.addHandlers([
                        NIOSSLServerHandler(context: context), ByteToMessageHandler(FrameCodec.Decoder()),
                        ScriptedFrameHandler(responder: responder),
                    ])
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    func stop() {
        try? channel.close().wait()
    }

    // A throwaway self-signed P-256 certificate for this test server only (the client does not
    // verify certificates yet, so any certificate works).
    static let certificatePEM = """
        -----BEGIN CERTIFICATE-----
        MIIBkDCCATegAwIBAgIUEW7aQLbxhbeXy8HhNYw0yGnifXwwCgYIKoZIzj0EAwIw
        HjEcMBoGA1UEAwwTZW5jbGF2ZS1jbGllbnQtdGVzdDAeFw0yNjExMjQyMzMzMzda
        Fw0zNjExMjEyMzMzMzdaMB4xHDAaBgNVBAMME2VuY2xhdmUtY2xpZW50LXRlc3Qw
        WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARo8rjTYdoHr0CFAUY6sx1VzIAof1zO
        pULhFmOmADBt8IuaDwa959gPqx8tqePq4jtoXySYrhTReXxMHifJ1UZ6o1MwUTAd
        BgNVHQ4EFgQUsTXHoc0yZlKSKJhLvKJ0TIFfmh0wHwYDVR0jBBgwFoAUsTXHoc0y
        ZlKSKJhLvKJ0TIFfmh0wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBE
        AiAaHkdE/+WSY/Lyao42564bAA8W5nCO5uQI9jRiY6HjJQIgBujU9vPep6McQc1A
        epxFP2WNUlT3Sg1UVTUFK6VwH+Y=
        -----END CERTIFICATE-----
        """
    static let keyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPsGa6uwt0dcJil/B
        99w92dGIA5+ojLxHCY7sq3/xJxChRANCAARo8rjTYdoHr0CFAUY6sx1VzIAof1zO
        pULhFmOmADBt8IuaDwa959gPqx8tqePq4jtoXySYrhTReXxMHifJ1UZ6
        -----END PRIVATE KEY-----
        """
}

/// Performs the responder's action for each request frame.
private final class ScriptedFrameHandler: ChannelInboundHandler {
    /// One frame's payload.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let responder: @Sendable ([UInt8]) -> ServerAction

    init(responder: @escaping @Sendable ([UInt8]) -> ServerAction) {
        self.responder = responder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = Array(unwrapInboundIn(data).readableBytesView)
        switch responder(payload) {
        case .reply(let bytes): context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: Frame.encode(bytes))), promise: nil)
        case .raw(let bytes): context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
        case .close: context.close(promise: nil)
        case .ignore: break
        }
    }
}
