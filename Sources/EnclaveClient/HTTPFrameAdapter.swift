import EnclaveProtocol
import Foundation
import NIOCore
import NIOHTTP1

/// Carries the frame protocol's requests over HTTP/1.1, so that a connection works the same on
/// either protocol: `"Ping"` becomes `GET /healthz` (answered `"Pong"`), `{"Data":…}` a
/// `POST /data` whose body is the inner document (its answer comes back as `Data`, in the
/// request's byte encoding), `{"Shutdown":{"token"}}` a `POST /shutdown` with the token as a
/// bearer credential (answered `"Ok"` or `Error`). Responses arrive in request order (HTTP/1.1
/// pipelining). Runs only on its channel's event loop.
final class HTTPFrameAdapter: ResponseMatcher {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = PendingRequest
    typealias OutboundOut = HTTPClientRequestPart

    /// What the response to one request turns into.
    enum Expected {
        case pong
        case data(ByteEncoding)
        case shutdown
    }

    var requests: OutstandingRequests<Expected>
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private let maxBodyBytes: Int
    private let authority: String
    var context: ChannelHandlerContext?

    init(handshake: EventLoopPromise<Void>, closedError: EnclaveClientError, authority: String,
         maxBodyBytes: Int = ChunkedAssembly.defaultLimit) {
        self.requests = OutstandingRequests(handshake: handshake, closedError: closedError)
        self.authority = authority
        self.maxBodyBytes = maxBodyBytes
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure = requests.failure {
            request.response.fail(failure)
            promise?.fail(failure)
            return
        }
        let (decoded, encoding) = Request.decodeWithEncoding(request.payload)
        var headers = HTTPHeaders([("Host", authority)])
        let method: HTTPMethod, path: String, expected: Expected
        var body: [UInt8]?
        switch decoded {
        case .ping:
            (method, path, expected) = (.GET, HTTPWire.healthPath, .pong)
        case .data(let inner):
            (method, path, expected) = (.POST, HTTPWire.dataPath, .data(encoding))
            headers.add(name: "Content-Type", value: "application/json")
            body = inner
        case .shutdown(let token):
            (method, path, expected) = (.POST, HTTPWire.shutdownPath, .shutdown)
            if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
            body = []
        case .invalid:
            request.response.fail(EnclaveClientError.invalidArgument("not a request this client can send over HTTP"))
            promise?.succeed(())
            return
        }
        if let body { headers.add(name: "Content-Length", value: String(body.count)) }
        guard requests.admit(request, expecting: expected, write: promise) else { return }
        context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers))), promise: nil)
        if let body, !body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let received):
            head = received
            body = []
        case .body(let buffer):
            guard body.count + buffer.readableBytes <= maxBodyBytes else {
                fail(context: context, EnclaveClientError.malformedResponse("an HTTP response body over \(maxBodyBytes) bytes"))
                return
            }
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let received = head, let (promise, expected) = requests.next() else {
                fail(context: context, EnclaveClientError.malformedResponse("an HTTP response arrived with no request outstanding"))
                return
            }
            head = nil
            promise.succeed(.frame(Self.framePayload(status: received.status, body: body, expected: expected)))
            body = []
        }
    }

    /// The frame payload the frame protocol would have answered with.
    private static func framePayload(status: HTTPResponseStatus, body: [UInt8], expected: Expected) -> [UInt8] {
        let ok = status == .ok
        switch expected {
        case .pong where ok: return Response.pong.encoded(bytesAs: .integerArray)
        case .shutdown where ok: return Response.ok.encoded(bytesAs: .integerArray)
        case .data(let encoding) where ok: return Response.data(body).encoded(bytesAs: encoding)
        case .data(let encoding):
            return Response.error(errorText(status: status, body: body)).encoded(bytesAs: encoding)
        case .pong, .shutdown:
            return Response.error(errorText(status: status, body: body)).encoded(bytesAs: .integerArray)
        }
    }

    /// `{"error":"…"}` → its message; anything else → the status and the body.
    private static func errorText(status: HTTPResponseStatus, body: [UInt8]) -> String {
        if let json = try? JSON.parse(body), let message = json["error"]?.stringValue { return message }
        return "HTTP \(status.code): \(String(decoding: body.prefix(200), as: UTF8.self))"
    }
}
