import Logging
import NIOCore
import NIOSSL

/// Leaves a trace of what happens to one connection below the request layer: opened and closed
/// (`debug`), refused before TLS or by the TLS handshake (`notice`, with the peer's address and
/// the reason), other transport errors such as resets (`debug`).
///
/// Sits after the TLS handler, so it sees the handshake's errors; it only logs and passes every
/// event on. A peer controls what its refusal says (a malformed ClientHello), so the reason is
/// written through `LogText.field`.
final class ConnectionLog: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    let logger: Logger
    let connection: UInt64
    let peer: String

    /// The log of connection number `connection` from `peer`.
    init(logger: Logger, connection: UInt64, peer: SocketAddress?) {
        self.logger = logger
        self.connection = connection
        self.peer = Self.describe(peer)
    }

    /// `ip:port`, or `unknown` (a peer gone before it could be asked).
    static func describe(_ address: SocketAddress?) -> String {
        guard let address else { return "unknown" }
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    var metadata: Logger.Metadata {
        ["connection": .stringConvertible(connection), "peer": "\(peer)"]
    }

    /// A connection refused before TLS (its ClientHello did not parse, no certificate for it):
    /// the `onError` of `ClientHelloReader`.
    func refusedBeforeTLS(_ reason: String) {
        logger.notice("\(LogText.field(reason, maxBytes: 1024))", metadata: metadata)
    }

    func channelActive(context: ChannelHandlerContext) {
        logger.debug("connection opened", metadata: metadata)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        logger.debug("connection closed", metadata: metadata)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        switch error {
        case NIOSSLError.handshakeFailed, NIOSSLError.cannotMatchULabel, NIOSSLError.noCertificateToValidate,
             NIOSSLError.unableToValidateCertificate:
            logger.notice("connection refused: TLS handshake failed: \(LogText.field("\(error)", maxBytes: 1024))",
                          metadata: metadata)
        default:
            logger.debug("connection error: \(LogText.field("\(error)", maxBytes: 1024))", metadata: metadata)
        }
        context.fireErrorCaught(error)
    }
}
