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
        if inner == Self.helloPayload { return eventLoop.makeSucceededFuture(Self.worldPayload) }
        // The document's own "auth" counts only when no Authorization header came with it.
        if inner.count <= Self.inlineFrameLimit {
            let (request, carried) = ManagementRequest.decodeWithCredential(inner)
            return answer(request, credential: credential ?? carried, origin: origin, on: eventLoop)
        }
        return executor.runRequest(on: eventLoop) { ManagementRequest.decodeWithCredential(inner) }
            .flatMap { request, carried in self.answer(request, credential: credential ?? carried, origin: origin, on: eventLoop) }
            .recover { error in ManagementResponse.error("server is shutting down: \(error)").encoded() }
    }

    /// Answers a decoded request: authorized (by the service), handled off the event loop (calls on a call thread,
    /// everything else on a request thread), its result limited. Never fails.
    func answer(_ decoded: Result<ManagementRequest, ManagementError>, credential: String?, origin: RequestOrigin = .none,
                on eventLoop: EventLoop) -> EventLoopFuture<[UInt8]> {
        let request: ManagementRequest
        switch decoded {
        case .failure(let error): return eventLoop.makeSucceededFuture(ManagementResponse.error(error.message).encoded())
        case .success(let message): request = message
        }
        let service = self.service
        let executor = self.executor
        let runtime = service.runtime
        let resultLimit = configuration.maxResultBytes
        let step: EventLoopFuture<ManagementService.Step>
        switch request {
        case .call, .connectCall:
            // Preparing a call is microseconds: decide on the loop, then one hop to a call thread.
            step = eventLoop.makeSucceededFuture(service.handle(request, credential: credential, origin: origin))
        default:
            step = executor.runRequest(on: eventLoop) { service.handle(request, credential: credential, origin: origin) }
        }
        return step.flatMap { step -> EventLoopFuture<[UInt8]> in
            switch step {
            case .respond(let response):
                return eventLoop.makeSucceededFuture(response.encoded())
            case .call(let prepared):
                return executor.runCall(prepared, in: runtime, on: eventLoop) { response in
                    let document = response.encoded()
                    guard document.count <= resultLimit else {
                        return ManagementResponse.error(ResponseFraming.resultLimitRefusal(size: document.count, limit: resultLimit)).encoded()
                    }
                    return document
                }
            }
        }
        .recover { error in ManagementResponse.error("server is shutting down: \(error)").encoded() }
    }
}
