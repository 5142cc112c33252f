import EnclaveProtocol
import NIOCore

/// Turns one request frame into one response frame (docs/protocol.md §1–2), off the event loop.
///
/// Parsing runs on the executor's request threads (a 16 MiB integer-array upload takes
/// seconds to parse), and calls on its call threads; the event loop only moves bytes and
/// decodes small frames, answering or preparing the cheap ones (`inlineFrameLimit`).
public final class Dispatcher: Sendable {
    let configuration: ServerConfiguration
    let service: ManagementService
    let executor: CallExecutor
    /// Who may load, replace, unload and shut down (both transports ask it).
    let authorization: ManagementAuthorization
    /// Counts requests, responses, loads and calls.
    var metrics: ServerMetrics { service.metrics }

    /// The `Data` payload of the compat smoke test, and its answer.
    static let helloPayload = Array("hello".utf8)
    static let worldPayload = Array("world".utf8)

    /// Creates a dispatcher over a registry; `executor` provides the threads, `uploads` keeps
    /// the streamed loads in progress.
    init(configuration: ServerConfiguration, registry: AppRegistry, executor: CallExecutor, runtime: AppRuntime,
         uploads: UploadStore, authorization: ManagementAuthorization, metrics: ServerMetrics = ServerMetrics()) {
        self.configuration = configuration
        self.service = ManagementService(registry: registry, configuration: configuration, runtime: runtime, uploads: uploads,
                                         authorization: authorization, metrics: metrics)
        self.executor = executor
        self.authorization = authorization
    }

    /// Frames up to this size are decoded on the event loop (microseconds), and a `Ping`, the
    /// smoke test or a `wasm_call` among them is also answered or prepared there: that saves a
    /// hand-off to a request thread and back per call. Everything else (loads validate
    /// components, unloads commit to disk, big frames take long to parse) runs on a request thread.
    static let inlineFrameLimit = 16 * 1024

    /// Handles a frame payload; the future completes on `eventLoop` and never fails. `origin`
    /// (connection and request number) goes into the log lines of its outcome.
    public func handle(_ payload: [UInt8], on eventLoop: EventLoop) -> EventLoopFuture<DispatchResult> {
        handle(payload, on: eventLoop, origin: .none)
    }

    func handle(_ payload: [UInt8], on eventLoop: EventLoop, origin: RequestOrigin) -> EventLoopFuture<DispatchResult> {
        answer(payload, on: eventLoop, origin: origin).future(on: eventLoop)
    }

    /// Handles a frame payload: a `Ping`, the smoke test, a refusal found on the loop, or a call
    /// that runs inline (`CallScheduler`) is answered before this returns, without a future
    /// (called on `eventLoop`; from elsewhere calls are submitted); everything else later, on
    /// `eventLoop`, by a future that never fails.
    func answer(_ payload: [UInt8], on eventLoop: EventLoop, origin: RequestOrigin) -> ReadyOrLater<DispatchResult> {
        metrics.request(.frames, bytes: payload.count)
        guard payload.count <= Self.inlineFrameLimit else {
            return .later(continued(executor.runRequest(on: eventLoop) { self.firstStep(DecodedFrame(payload), origin: origin) },
                                    on: eventLoop))
        }
        let frame = DecodedFrame(payload)
        guard frame.isCheap else {
            return .later(continued(executor.runRequest(on: eventLoop) { self.firstStep(frame, origin: origin) }, on: eventLoop))
        }
        switch firstStep(frame, origin: origin) {
        case .done(let result):
            return .ready(result)
        case .call(let prepared, let reply):
            let answer = framing(reply)
            let runtime = service.runtime
            if let result = executor.runCallInline(prepared, in: runtime, on: eventLoop, answer: answer) { return .ready(result) }
            return .later(shuttingDownAnswer(executor.runCall(prepared, in: runtime, on: eventLoop, answer: answer)))
        }
    }

    /// The rest of a request whose first step ran on a request thread.
    private func continued(_ first: EventLoopFuture<FirstStep>, on eventLoop: EventLoop) -> EventLoopFuture<DispatchResult> {
        let executor = self.executor
        let runtime = service.runtime
        return shuttingDownAnswer(first.flatMap { [self] step -> EventLoopFuture<DispatchResult> in
            switch step {
            case .done(let result):
                return eventLoop.makeSucceededFuture(result)
            case .call(let prepared, let reply):
                return executor.runCall(prepared, in: runtime, on: eventLoop, answer: framing(reply))
            }
        })
    }

    /// How a call's response becomes the frame that answers it (on the call's thread).
    private func framing(_ reply: ReplyForm) -> @Sendable (ManagementResponse) -> DispatchResult {
        let resultLimit = configuration.maxResultBytes
        return { response in
            ResponseFraming.frame(response.encoded(), encoding: reply.encoding, allowChunks: reply.allowChunks,
                                  resultLimit: resultLimit)
        }
    }

    private func shuttingDownAnswer(_ future: EventLoopFuture<DispatchResult>) -> EventLoopFuture<DispatchResult> {
        future.recover { error in
            // Only reachable when the thread pools are stopped (server shutting down).
            DispatchResult(response: .error("server is shutting down: \(error)"))
        }
    }

    private enum FirstStep: Sendable {
        case done(DispatchResult)
        case call(AppCall, ReplyForm)
    }

    /// How the answer to a `Data` request is written: bytes as the request wrote them, and
    /// whether a response too large for a frame may be sent in chunks.
    private struct ReplyForm: Sendable {
        var encoding: ByteEncoding
        var allowChunks: Bool
    }

    /// A request frame with its envelope and, for `Data`, its management message decoded.
    private enum DecodedFrame: Sendable {
        case ping
        case smokeTest(ByteEncoding)
        case invalid
        case shutdown(token: String?)
        case management(Result<ManagementEnvelope, ManagementError>, ReplyForm)

        init(_ payload: [UInt8]) {
            let (request, encoding) = Request.decodeWithEncoding(payload)
            switch request {
            case .ping: self = .ping
            case .invalid: self = .invalid
            case .shutdown(let token): self = .shutdown(token: token)
            case .data(let inner) where inner == Dispatcher.helloPayload:
                self = .smokeTest(encoding)
            case .data(let inner):
                let message = ManagementRequest.decodeEnvelope(inner)
                let allowChunks: Bool
                if case .success(let envelope) = message, case .call(let call) = envelope.request {
                    allowChunks = call.chunkedResult
                } else {
                    allowChunks = false
                }
                self = .management(message, ReplyForm(encoding: encoding, allowChunks: allowChunks))
            }
        }

        /// Whether the first step is cheap enough for the event loop (see `inlineFrameLimit`).
        var isCheap: Bool {
            switch self {
            case .ping, .smokeTest: return true
            case .management(.success(let envelope), _):
                switch envelope.request {
                case .call, .connectCall: return true
                default: return false
                }
            case .invalid, .shutdown, .management: return false
            }
        }
    }

    /// Everything except executing a call: envelope, smoke test, shutdown, management messages.
    private func firstStep(_ frame: DecodedFrame, origin: RequestOrigin) -> FirstStep {
        switch frame {
        case .ping:
            return .done(DispatchResult(response: .pong))
        case .smokeTest(let encoding):
            return .done(DispatchResult(response: .data(Self.worldPayload), encoding: encoding))
        case .invalid:
            return .done(DispatchResult(response: .error(Response.invalidJSONMessage)))
        case .shutdown(let token):
            return .done(authorizeShutdown(token))
        case .management(.failure(let error), let reply):
            return .done(DispatchResult(response: .data(ManagementResponse.error(error.message).encoded()), encoding: reply.encoding))
        case .management(.success(let envelope), let reply):
            switch service.handle(envelope.request, credential: envelope.auth, origin: origin) {
            case .respond(let response):
                return .done(ResponseFraming.frame(response.encoded(), encoding: reply.encoding,
                                                   allowChunks: reply.allowChunks, resultLimit: nil))
            case .call(let prepared):
                return .call(prepared, reply)
            }
        }
    }

    /// `Shutdown` is for an operator only (docs/protocol.md §1–2, improve): the server must have operators,
    /// and the request must carry one's token.
    private func authorizeShutdown(_ token: String?) -> DispatchResult {
        switch authorization.decide(.shutdown, credential: token) {
        case .allowed(let name):
            configuration.log("operator '\(name ?? "?")': Shutdown accepted")
            return DispatchResult(response: .ok, action: .shutdownServer)
        case .refused(let refusal):
            return DispatchResult(response: .error(ManagementAuthorization.message(
                refusal, action: .shutdown, howToSend: ManagementAuthorization.howToSendShutdown)))
        }
    }

    /// The text of a refused shutdown; `howToSend` says how this transport carries the token.
    static func shutdownRefusal(_ refusal: ManagementAuthorization.Refusal, howToSend: String) -> String {
        ManagementAuthorization.message(refusal, action: .shutdown, howToSend: howToSend)
    }
}

/// The answer to one frame, and what the connection must do once it is written.
public struct DispatchResult: Sendable {
    /// The outer response.
    public var response: Response
    /// What happens after the response has been written.
    public var action: PostWriteAction
    /// How `Data` and `Error` bytes are written: as the request wrote its `Data`.
    public var encoding: ByteEncoding
    /// For a `Chunked` head: the document whose chunks follow it.
    var chunkedBody: ChunkedBody?

    /// A response followed by `action`.
    public init(response: Response, action: PostWriteAction = .none, encoding: ByteEncoding = .integerArray) {
        self.response = response
        self.action = action
        self.encoding = encoding
    }

    init(response: Response, encoding: ByteEncoding, chunkedBody: ChunkedBody) {
        self.init(response: response, encoding: encoding)
        self.chunkedBody = chunkedBody
    }
}

/// What a connection does after writing a response.
public enum PostWriteAction: Sendable {
    /// Keep serving.
    case none
    /// Close this connection (the byte stream cannot be trusted any more).
    case closeConnection
    /// Shut the whole server down gracefully (an authorised `Shutdown`).
    case shutdownServer
}
