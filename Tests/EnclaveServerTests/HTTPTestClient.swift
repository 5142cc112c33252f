import EnclaveProtocol
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// An HTTP/1.1 client over TLS for tests, built from NIO's own HTTP client codec (so requests
/// are what a real client sends): one connection, requests answered in order, no certificate
/// verification (these tests are about the protocol).
final class HTTPTestClient: Sendable {
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var json: JSON? { try? JSON.parse(body) }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    let channel: Channel
    private let collector: NIOLoopBound<Collector>

    private init(channel: Channel, collector: NIOLoopBound<Collector>) {
        self.channel = channel
        self.collector = collector
    }

    /// A client over TLS, or over plain TCP with `plain` (the `--metrics-listen` listener).
    static func connect(to address: SocketAddress, group: EventLoopGroup, alpn: [String] = [],
                        plain: Bool = false) async throws -> HTTPTestClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        tls.applicationProtocols = alpn
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if !plain {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(Collector())
                }
            }
            .connect(to: address).get()
        let collector = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: Collector.self), eventLoop: channel.eventLoop)
        }.get()
        return HTTPTestClient(channel: channel, collector: collector)
    }

    /// Sends one request and waits for its response.
    func request(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil,
                 headers: [(String, String)] = [], timeout: TimeAmount = .seconds(60)) async throws -> Response {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "127.0.0.1")
        for (name, value) in headers { head.headers.replaceOrAdd(name: name, value: value) }
        if let body, !head.headers.contains(name: "content-length") {
            head.headers.add(name: "Content-Length", value: String(body.count))
        }
        let future = try await channel.eventLoop.submit { [collector, channel, head] () -> EventLoopFuture<Response> in
            let promise = channel.eventLoop.makePromise(of: Response.self)
            collector.value.waiting.append(promise)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body {
                var buffer = channel.allocator.buffer(capacity: body.count)
                buffer.writeBytes(body)
                channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
            }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            let deadline = channel.eventLoop.scheduleTask(in: timeout) { promise.fail(ChannelError.connectTimeout(timeout)) }
            promise.futureResult.whenComplete { _ in deadline.cancel() }
            return promise.futureResult
        }.get()
        return try await future.get()
    }

    /// POSTs a JSON text.
    func post(_ path: String, _ json: String, headers: [(String, String)] = []) async throws -> Response {
        try await request(.POST, path, body: Array(json.utf8), headers: [("Content-Type", "application/json")] + headers)
    }

    func close() async {
        try? await channel.close()
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        var waiting: [EventLoopPromise<Response>] = []
        private var current: Response?

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                current = Response(status: Int(head.status.code), headers: head.headers, body: [])
            case .body(let buffer):
                current?.body.append(contentsOf: buffer.readableBytesView)
            case .end:
                if let response = current, !waiting.isEmpty { waiting.removeFirst().succeed(response) }
                current = nil
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            for promise in waiting { promise.fail(ChannelError.ioOnClosedChannel) }
            waiting = []
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            for promise in waiting { promise.fail(error) }
            waiting = []
            context.close(promise: nil)
        }
    }
}

extension JSON {
    /// The element at `index` of an array (tests only).
    subscript(index: Int) -> JSON? {
        guard let array = arrayValue, array.indices.contains(index) else { return nil }
        return array[index]
    }
}
