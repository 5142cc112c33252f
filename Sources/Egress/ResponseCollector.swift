import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// A response as the app sees it: status, headers in received order, the whole body.
public struct EgressResponse: Equatable, Sendable {
    /// HTTP status code (3xx included: redirects are returned, not followed).
    public var status: UInt16
    /// Response headers as (name, value), in the order received.
    public var headers: [EgressHeader]
    /// The body, at most the configured cap.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: UInt16, headers: [EgressHeader], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// One HTTP header; a struct rather than a tuple so responses are `Equatable`.
public struct EgressHeader: Equatable, Sendable {
    /// Header name.
    public var name: String
    /// Header value.
    public var value: String

    /// Creates a header.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Collects a response while enforcing the body cap as bytes arrive: a hostile server cannot
/// make us buffer more than `limit` bytes, whatever it announces or streams.
///
/// AsyncHTTPClient calls a delegate on the task's event loop, one callback at a time, so the
/// mutable state needs no lock (hence `@unchecked Sendable`).
final class ResponseCollector: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = EgressResponse

    private let limit: Int
    private let expectsBody: Bool
    private let host: String
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    init(limit: Int, expectsBody: Bool, host: String) {
        self.limit = limit
        self.expectsBody = expectsBody
        self.host = host
    }

    func didReceiveHead(task: HTTPClient.Task<EgressResponse>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        self.head = head
        // Fail before the first body byte when the server announces too much (HEAD carries the
        // length of a body that is never sent, so it is exempt).
        if expectsBody, let announced = head.headers.first(name: "content-length").flatMap({ Int($0) }) {
            guard announced <= limit else {
                return task.eventLoop.makeFailedFuture(EgressError.responseBodyTooLarge(limit: limit))
            }
            body.reserveCapacity(announced)
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<EgressResponse>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        guard body.count + buffer.readableBytes <= limit else {
            // Failing the future makes AsyncHTTPClient cancel the request and close the connection.
            return task.eventLoop.makeFailedFuture(EgressError.responseBodyTooLarge(limit: limit))
        }
        body.append(contentsOf: buffer.readableBytesView)
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<EgressResponse>) throws -> EgressResponse {
        guard let head else { throw EgressError.connectionClosed(host: host) }
        return EgressResponse(
            status: UInt16(clamping: head.status.code),
            headers: head.headers.map { EgressHeader($0.name, $0.value) },
            body: body)
    }
}
