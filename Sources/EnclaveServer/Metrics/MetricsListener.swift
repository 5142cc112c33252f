import EnclaveProtocol
import NIOCore
import NIOHTTP1
import NIOPosix

/// The plain-HTTP listener of `--metrics-listen`: answers `GET /metrics` (the same text as the
/// TLS route) and nothing else, for scrapers that cannot do RA-TLS.
///
/// It reads nothing but a request head: a body, any other path or method is refused and the
/// connection closed, so this socket carries no management and no app traffic.
enum MetricsListener {
    /// The largest request head accepted (a scraper's is a few hundred bytes).
    static let maxHeadBytes = 8 * 1024
    /// Connections open at once; more are closed when accepted (a scraper needs one).
    static let maxConnections = 16
    /// How long a connection may stay open at all: a scrape takes milliseconds, so an idle or
    /// trickling client cannot hold one of the few connections for long.
    static let connectionLifetime = TimeAmount.seconds(30)

    /// Binds `endpoint` on `group`; every scrape first refreshes the gauges through `refresh`.
    static func bind(_ endpoint: MetricsEndpoint, group: EventLoopGroup, metrics: ServerMetrics,
                     refresh: @escaping @Sendable () -> Void) async throws -> Channel {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = maxHeadBytes
        limits.maxHeaderListSize = maxHeadBytes
        limits.maxHeaderFieldCount = 64
        let decoderLimits = limits  // a constant, so the channel initialiser can capture it
        let open = Locked(0)
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let admitted = open.withLock { count -> Bool in
                    guard count < maxConnections else { return false }
                    count += 1
                    return true
                }
                guard admitted else { return channel.close() }
                channel.closeFuture.whenComplete { _ in open.withLock { $0 -= 1 } }
                let lifetime = channel.eventLoop.scheduleTask(in: connectionLifetime) { channel.close(promise: nil) }
                channel.closeFuture.whenComplete { _ in lifetime.cancel() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HTTPResponseEncoder())
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(
                        leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop, limitConfiguration: decoderLimits)))
                    try channel.pipeline.syncOperations.addHandler(MetricsRequestHandler(metrics: metrics, refresh: refresh))
                }
            }
            .bind(host: endpoint.host, port: endpoint.port).get()
    }
}

/// Answers one connection's requests on the metrics listener.
private final class MetricsRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let metrics: ServerMetrics
    private let refresh: @Sendable () -> Void
    private var head: HTTPRequestHead?

    init(metrics: ServerMetrics, refresh: @escaping @Sendable () -> Void) {
        self.metrics = metrics
        self.refresh = refresh
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
        case .body:
            // Scrapes have no body: refuse rather than buffer one.
            respond(context: context, status: .payloadTooLarge, body: Array("no request body accepted\n".utf8), close: true)
        case .end:
            guard let request = head else { return }
            head = nil
            let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
            guard path == HTTPWire.metricsPath else {
                respond(context: context, status: .notFound, body: Array("only GET /metrics is served here\n".utf8),
                        close: true)
                return
            }
            guard request.method == .GET || request.method == .HEAD else {
                respond(context: context, status: .methodNotAllowed, body: Array("GET /metrics\n".utf8), close: true)
                return
            }
            refresh()
            respond(context: context, status: .ok, body: request.method == .HEAD ? [] : metrics.render(),
                    close: !request.isKeepAlive)
        }
    }

    private func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, body: [UInt8], close: Bool) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: status == .ok ? ServerMetrics.contentType : "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.count)")
        if close { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                      promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if close {
            written.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A request head that does not parse, a reset: nothing to answer.
        context.close(promise: nil)
    }
}
