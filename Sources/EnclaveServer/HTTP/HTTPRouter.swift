import EnclaveProtocol
import NIOCore
import NIOHTTP1

/// The HTTP/1.1 routes (the original's since it moved to HTTP, plus `/mcp`), each answered
/// through the same `Dispatcher` as frames: `/data` bodies are the frame protocol's inner
/// documents, `/rpc` and the MCP routes build `connect_call`, `wasm_schema` and `mcp_tools`.
/// Errors of the HTTP layer are `{"error":"…"}` with a 4xx/5xx status, as the original writes them.
struct HTTPRouter: Sendable {
    let dispatcher: Dispatcher
    let registry: AppRegistry
    /// Live figures for `/metrics` and `/readyz`.
    let status: ServerStatus
    let mcp: MCPEndpoint

    init(dispatcher: Dispatcher, registry: AppRegistry, status: ServerStatus) {
        self.dispatcher = dispatcher
        self.registry = registry
        self.status = status
        self.mcp = MCPEndpoint(dispatcher: dispatcher, registry: registry)
    }

    /// Answers one request: at once when the answer is ready on the loop (health, a call that
    /// runs inline, a refusal), else later by a future that completes on `loop` and never fails.
    func route(_ request: HTTPRequest, on loop: EventLoop) -> ReadyOrLater<HTTPAnswer> {
        dispatcher.metrics.request(.http, bytes: request.body.count)
        let path = request.path
        switch (request.method, path) {
        case (.GET, HTTPWire.healthPath):
            return .ready(.json(.object(["status": "ok"])))
        case (.GET, HTTPWire.readyPath):
            return .ready(.json(.object(["status": "ready", "apps": .int(Int64(registry.all().count))])))
        case (.GET, HTTPWire.metricsPath):
            status.refresh(dispatcher.metrics)
            return .ready(HTTPAnswer(status: .ok, contentType: ServerMetrics.contentType,
                                                       body: dispatcher.metrics.render()))
        case (.POST, HTTPWire.dataPath):
            return dispatcher.answerDocumentReady(request.body, credential: request.bearerToken, origin: request.origin, on: loop)
                .map { HTTPAnswer.json($0) }
        case (.POST, HTTPWire.shutdownPath):
            return .ready(shutdown(request))
        case (.POST, HTTPWire.mcpPath):
            return .later(mcp.handle(request, on: loop))
        case (_, HTTPWire.mcpPath):
            var answer = HTTPAnswer.error(.methodNotAllowed, "POST required for /mcp (this server does not open SSE streams)")
            answer.extraHeaders = [("Allow", "POST")]
            return .ready(answer)
        case (_, HTTPWire.healthPath), (_, HTTPWire.readyPath), (_, HTTPWire.metricsPath), (_, HTTPWire.dataPath),
             (_, HTTPWire.shutdownPath):
            return .ready(.methodNotAllowed)
        default:
            if path.hasPrefix(HTTPWire.rpcPrefix) { return rpc(request, on: loop) }
            if path == HTTPWire.mcpToolsPath || path.hasPrefix(HTTPWire.mcpToolsPath + "/") {
                return .later(MCPToolsShim(dispatcher: dispatcher, registry: registry).handle(request, on: loop))
            }
            return .ready(.notFound)
        }
    }

    /// `POST /shutdown`: the operator's bearer token, decided by the one authorization.
    private func shutdown(_ request: HTTPRequest) -> HTTPAnswer {
        let refusal: ManagementAuthorization.Refusal
        switch dispatcher.authorization.decide(.shutdown, credential: request.bearerToken) {
        case .allowed(let name):
            dispatcher.configuration.log("operator '\(name ?? "?")': Shutdown accepted")
            var answer = HTTPAnswer.json(.object([:]))
            answer.shutdownAfter = true
            answer.closeAfter = true
            return answer
        case .refused(let why):
            refusal = why
        }
        let message = Dispatcher.shutdownRefusal(refusal, howToSend: "send Authorization: Bearer <token>")
        return .error(refusal == .credentialMissing ? .unauthorized : .forbidden, message)
    }

    /// `POST /rpc/<app>/<function>` (named parameters, `connect_call`) and `GET /rpc/<app>/schema`.
    private func rpc(_ request: HTTPRequest, on loop: EventLoop) -> ReadyOrLater<HTTPAnswer> {
        let rest = request.path.dropFirst(HTTPWire.rpcPrefix.count)
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              let app = percentDecoded(parts[0]), let tail = percentDecoded(parts[1])
        else {
            return .ready(.error(.badRequest, "expected /rpc/<app>/<function>"))
        }
        let credential = request.bearerToken
        if request.method == .GET, tail == "schema" {
            return dispatcher.answerReady(.success(.schema(app: app)), credential: credential, origin: request.origin, on: loop)
                .map { HTTPAnswer.json($0) }
        }
        guard request.method == .POST else {
            return .ready(.error(.methodNotAllowed, "POST required for /rpc/<app>/<function>"))
        }
        let named: NamedParameterCall
        switch NamedParameterCall.parse(request) {
        case .call(let parsed): named = parsed
        case .refused(let answer): return .ready(answer)
        }
        let call = ConnectCallRequest(app: app, function: tail, body: named.parameters, appAuth: named.appAuth)
        return dispatcher.answerReady(.success(.connectCall(call)), credential: credential, origin: request.origin, on: loop)
            .map { HTTPAnswer.json($0) }
    }
}

/// Figures only the server knows, refreshed into the metrics' gauges before each scrape.
struct ServerStatus: Sendable {
    let openConnections: @Sendable () -> Int
    let callUsage: @Sendable () -> (running: Int, waiting: Int, blocked: Int)
    let appsLoaded: @Sendable () -> Int
    let requestBudgetUsed: @Sendable () -> Int
    let uploadsInProgress: @Sendable () -> Int

    func refresh(_ metrics: ServerMetrics) {
        metrics.openConnections.record(openConnections())
        let calls = callUsage()
        metrics.callsInFlight.record(calls.running + calls.waiting + calls.blocked)
        metrics.callsRunning.record(calls.running)
        metrics.callsWaiting.record(calls.waiting)
        metrics.callsBlocked.record(calls.blocked)
        metrics.appsLoaded.record(appsLoaded())
        metrics.requestBudgetBytes.record(requestBudgetUsed())
        metrics.uploadsInProgress.record(uploadsInProgress())
    }
}
