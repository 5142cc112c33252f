import EnclaveProtocol
import NIOCore
import NIOHTTP1

/// The original's MCP-over-HTTP shim: `GET /api/v1/mcp/tools` lists the tools of one app as
/// `{"tools":[{"name","description"?,"input_schema"}]}`, `POST /api/v1/mcp/tools/<function>` calls
/// one with named parameters and answers the bare return value (`{}` for none, an array for
/// several). The app is the Host header's first label, else the only app loaded. Failures are
/// `400 {"error":"…"}`, as the original answers them.
struct MCPToolsShim: Sendable {
    let dispatcher: Dispatcher
    let registry: AppRegistry

    func handle(_ request: HTTPRequest, on loop: EventLoop) -> EventLoopFuture<HTTPAnswer> {
        let rest = request.path.dropFirst(HTTPWire.mcpToolsPath.count)
        if rest.isEmpty || rest == "/" {
            guard request.method == .GET else {
                return loop.makeSucceededFuture(.error(.methodNotAllowed, "GET required for /api/v1/mcp/tools"))
            }
            return dispatcher.answer(.success(.mcpTools(app: request.hostLabel)), credential: request.bearerToken, origin: request.origin, on: loop)
                .map { Self.toolList($0) }
        }
        let raw = rest.dropFirst()  // the "/"
        guard !raw.isEmpty, !raw.contains("/"), let function = percentDecoded(raw) else {
            return loop.makeSucceededFuture(.error(.badRequest, "expected /api/v1/mcp/tools/<function>"))
        }
        guard request.method == .POST else {
            return loop.makeSucceededFuture(.error(.methodNotAllowed, "POST required for /api/v1/mcp/tools/<function>"))
        }
        let named: NamedParameterCall
        switch NamedParameterCall.parse(request) {
        case .call(let parsed): named = parsed
        case .refused(let answer): return loop.makeSucceededFuture(answer)
        }
        let app: String
        switch registry.resolve(request.hostLabel) {
        case .success(let resolved): app = resolved.name
        case .failure(let refusal): return loop.makeSucceededFuture(.error(.badRequest, refusal.message))
        }
        let call = ConnectCallRequest(app: app, function: function, body: named.parameters, appAuth: named.appAuth)
        return dispatcher.answer(.success(.connectCall(call)), credential: request.bearerToken, origin: request.origin, on: loop).map { Self.callResult($0) }
    }

    /// `{"status":"mcp_tools","manifest":{…}}` → `{"tools":[…]}` with `input_schema`.
    static func toolList(_ document: [UInt8]) -> HTTPAnswer {
        guard let json = try? JSON.parse(document), let status = json["status"]?.stringValue else { return .json(document) }
        guard status == "mcp_tools" else { return failure(json) }
        let tools = (json["manifest"]?["tools"]?.arrayValue ?? []).map { tool -> JSON in
            var object = JSONObject(pairs: [])
            if let name = tool["name"] { object.append("name", name) }
            if let description = tool["description"] { object.append("description", description) }
            if let schema = tool["inputSchema"] { object.append("input_schema", schema) }
            return .object(object)
        }
        return .json(.object(["tools": .array(tools)]))
    }

    /// `{"status":"ok","returns":[{"type","value"}…]}` → the bare value(s).
    static func callResult(_ document: [UInt8]) -> HTTPAnswer {
        guard let json = try? JSON.parse(document), let status = json["status"]?.stringValue else { return .json(document) }
        guard status == "ok" else { return failure(json) }
        return .json(bareValue(of: json["returns"]?.arrayValue ?? []))
    }

    /// One return → its value; none → `{}`; several → an array of values. Values are plain
    /// JSON: the type tags of nested values are dropped (a record is an object of plain fields).
    static func bareValue(of returns: [JSON]) -> JSON {
        switch returns.count {
        case 0: return .object([:])
        case 1: return plain(returns[0])
        default: return .array(returns.map(plain))
        }
    }

    /// A typed value `{"type","value"}` without its tags, at every depth.
    static func plain(_ typed: JSON) -> JSON {
        guard let object = typed.objectValue, object.pairs.count == 2, let tag = object["type"]?.stringValue,
              let value = object["value"]
        else { return typed }
        switch (tag, value) {
        case ("list", .array(let items)), ("tuple", .array(let items)): return .array(items.map(plain))
        case ("record", .object(let fields)):
            return .object(JSONObject(pairs: fields.pairs.map { .init(key: $0.key, value: plain($0.value)) }))
        case ("option", _): return plain(value)
        case ("variant", .object(let variant)):
            return .object(["case": variant["case"] ?? .null, "value": plain(variant["value"] ?? .null)])
        case ("result", .object(let result)):
            return .object(JSONObject(pairs: result.pairs.map { .init(key: $0.key, value: plain($0.value)) }))
        default: return value
        }
    }

    private static func failure(_ json: JSON) -> HTTPAnswer {
        .error(.badRequest, json["message"]?.stringValue ?? json["name"]?.stringValue ?? "error")
    }
}
