import EnclaveProtocol
import NIOCore

/// Management requests answered as bare inner documents (the HTTP side: `/data` bodies, and the
/// requests `/rpc` and the MCP routes build). The same service, authorization, threads and
/// limits as the frame path; only the framing differs: HTTP has no 16 MiB frame, so a call result
/// is bounded by the server's result limit alone.
extension Dispatcher {
    /// Answers an inner document (JSON bytes); the future completes on `eventLoop`, never fails.
    func answerDocument(_ inner: [UInt8], credential: String?, origin: RequestOrigin = .none,
                        on eventLoop: EventLoop) -> EventLoopFuture<[UInt8]> {
        answerDocumentReady(inner, credential: credential, origin: origin, on: eventLoop).future(on: eventLoop)
    }

    /// Answers an inner document (JSON bytes): at once when it is answered on the loop (a call
    /// that runs inline, a refusal), else later on `eventLoop` by a future that never fails.
    func answerDocumentReady(_ inner: [UInt8], credential: String?, origin: RequestOrigin = .none,
                             on eventLoop: EventLoop) -> ReadyOrLater<[UInt8]> {
        if inner == Self.helloPayload { return .ready(Self.worldPayload) }
        // The document's own "auth" counts only when no Authorization header came with it.
        if inner.count <= Self.inlineFrameLimit {
            let (request, carried) = ManagementRequest.decodeWithCredential(inner)
            return answerReady(request, credential: credential ?? carried, origin: origin, on: eventLoop)
        }
        return .later(executor.runRequest(on: eventLoop) { ManagementRequest.decodeWithCredential(inner) }
            .flatMap { request, carried in
                self.answerReady(request, credential: credential ?? carried, origin: origin, on: eventLoop).future(on: eventLoop)
            }
            .recover { error in Self.shuttingDownDocument(error) })
    }

    /// Answers a decoded request: authorized (by the service), handled off the event loop (calls on a call thread,
    /// everything else on a request thread), its result limited. Never fails.
    func answer(_ decoded: Result<ManagementRequest, ManagementError>, credential: String?, origin: RequestOrigin = .none,
                on eventLoop: EventLoop) -> EventLoopFuture<[UInt8]> {
        answerReady(decoded, credential: credential, origin: origin, on: eventLoop).future(on: eventLoop)
    }

    /// `answer`, with the answer given at once when it is ready on the loop: a refusal, or a call
    /// that runs inline (`CallScheduler`); else later, on `eventLoop`.
    func answerReady(_ decoded: Result<ManagementRequest, ManagementError>, credential: String?, origin: RequestOrigin = .none,
                     on eventLoop: EventLoop) -> ReadyOrLater<[UInt8]> {
        let request: ManagementRequest
        switch decoded {
        case .failure(let error): return .ready(ManagementResponse.error(error.message).encoded())
        case .success(let message): request = message
        }
        let service = self.service
        switch request {
        case .call, .connectCall:
            // Preparing a call is microseconds: decide on the loop, then run it inline or on a call thread.
            return settle(service.handle(request, credential: credential, origin: origin), on: eventLoop)
        default:
            return .later(executor.runRequest(on: eventLoop) { service.handle(request, credential: credential, origin: origin) }
                .flatMap { step in self.settle(step, on: eventLoop).future(on: eventLoop) }
                .recover { error in Self.shuttingDownDocument(error) })
        }
    }

    /// The document that answers `step`: a response now, or a call's result (inline now, or later).
    private func settle(_ step: ManagementService.Step, on eventLoop: EventLoop) -> ReadyOrLater<[UInt8]> {
        switch step {
        case .respond(let response):
            return .ready(response.encoded())
        case .call(let prepared):
            let resultLimit = configuration.maxResultBytes
            let limited: @Sendable (ManagementResponse) -> [UInt8] = { response in
                let document = response.encoded()
                guard document.count <= resultLimit else {
                    return ManagementResponse.error(ResponseFraming.resultLimitRefusal(size: document.count, limit: resultLimit)).encoded()
                }
                return document
            }
            let runtime = service.runtime
            if let document = executor.runCallInline(prepared, in: runtime, on: eventLoop, answer: limited) { return .ready(document) }
            return .later(executor.runCall(prepared, in: runtime, on: eventLoop, answer: limited)
                .recover { error in Self.shuttingDownDocument(error) })
        }
    }

    /// The answer when the thread pools have stopped (the server is shutting down).
    private static func shuttingDownDocument(_ error: Error) -> [UInt8] {
        ManagementResponse.error("server is shutting down: \(error)").encoded()
    }
}
