import Dispatch
import NIOCore
import NIOHTTP1
import NIOConcurrencyHelpers
import NIOPosix

/// The console's HTTP/1.1 listener on 127.0.0.1. Requests are read whole (capped by
/// ``ConsoleAPI``'s limits), answered off the event loop (the API blocks on the enclave
/// connection), and each response closes nothing: keep-alive as the browser asks.
enum ConsoleHTTPServer {
    /// Binds `127.0.0.1:port` (0 picks a free port) and serves `api` until the process ends.
    /// - Returns: the port actually bound.
    static func start(port: Int, api: @escaping @Sendable (Int) -> ConsoleAPI) throws -> (channel: Channel, port: Int) {
        let holder = APIHolder()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(ConsoleHTTPHandler(holder: holder))
                }
            }
        let channel: Channel
        do {
            channel = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
        } catch {
            throw ConsoleError("cannot listen on 127.0.0.1:\(port): \(error)")
        }
        let bound = channel.localAddress?.port ?? port
        holder.set(api(bound))
        return (channel, bound)
    }
}

/// A listening problem, named for the user.
struct ConsoleError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The API, set once the port is known (the Host check needs it).
final class APIHolder: Sendable {
    private let box = NIOLockedValueBox<ConsoleAPI?>(nil)
    func set(_ api: ConsoleAPI) { box.withLockedValue { $0 = api } }
    var api: ConsoleAPI? { box.withLockedValue { $0 } }
}

/// Reads one request at a time, hands it to the API on a worker thread, writes the answer.
final class ConsoleHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let holder: APIHolder
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(holder: APIHolder) {
        self.holder = holder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = []
            tooLarge = false
        case .body(var buffer):
            let limit = head?.uri.hasPrefix("/api/load") == true ? ConsoleAPI.maxUpload : ConsoleAPI.maxRequest
            if body.count + buffer.readableBytes > limit {
                tooLarge = true
                body = []
            } else if !tooLarge, let bytes = buffer.readBytes(length: buffer.readableBytes) {
                body += bytes
            }
        case .end:
            guard let requestHead = head else { return }
            head = nil
            if tooLarge {
                respond(.error("request body too large", status: .payloadTooLarge), keepAlive: false, context: context)
                return
            }
            guard let api = holder.api else {
                respond(.error("console starting", status: .serviceUnavailable), keepAlive: false, context: context)
                return
            }
            let request = Self.request(requestHead, body: body)
            body = []
            let keepAlive = requestHead.isKeepAlive
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let promise = context.eventLoop.makePromise(of: ConsoleResponse.self)
            DispatchQueue.global().async { promise.succeed(api.handle(request)) }
            promise.futureResult.whenSuccess { response in
                let (handler, context) = bound.value
                handler.respond(response, keepAlive: keepAlive, context: context)
            }
        }
    }

    private func respond(_ response: ConsoleResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        // Only this origin's own script and style: nothing from a CDN, no inline code.
        headers.add(name: "Content-Security-Policy", value: "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { done.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) } }
    }

    private static func request(_ head: HTTPRequestHead, body: [UInt8]) -> ConsoleRequest {
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let item = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(item[0]).removingPercentEncodingPlus()
                query[key] = item.count == 2 ? String(item[1]).removingPercentEncodingPlus() : ""
            }
        }
        return ConsoleRequest(method: head.method, path: String(parts[0]), query: query, headers: head.headers, body: body)
    }
}

extension String {
    /// A URL query component decoded (`+` is a space, `%XX` a byte); malformed escapes stay as written.
    func removingPercentEncodingPlus() -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(self.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), utf8.count >= 2,
                      let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
