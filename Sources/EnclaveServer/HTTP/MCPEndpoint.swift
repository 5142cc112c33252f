import EnclaveProtocol
import NIOCore
import NIOHTTP1

/// `POST /mcp`: a Model Context Protocol server (JSON-RPC 2.0 over the Streamable HTTP transport,
/// answering every request with one `application/json` response and opening no SSE stream).
///
/// Tools are every export of every loaded app, named `<app>.<function>` (characters outside
/// `[A-Za-z0-9_.-]` become `_`), with a JSON Schema of the named parameters derived from WIT;
/// `tools/call` is a `connect_call`, so each call runs in a fresh instance like any other. No
/// session state is kept: every request stands alone, so any number of clients may share it.
struct MCPEndpoint: Sendable {
    let dispatcher: Dispatcher
    let registry: AppRegistry

    /// Protocol revisions this endpoint speaks, newest first.
    static let protocolVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
    static let serverName = "enclave-os"

    func handle(_ request: HTTPRequest, on loop: EventLoop) -> EventLoopFuture<HTTPAnswer> {
        if let refusal = Self.checkHeaders(request) { return loop.makeSucceededFuture(refusal) }
        let message: JSON
        do {
            message = try JSON.parse(request.body)
        } catch {
            return loop.makeSucceededFuture(Self.rpcError(id: .null, code: -32700, "Parse error: \(error)", status: .badRequest))
        }
        guard let object = message.objectValue else {
            return loop.makeSucceededFuture(Self.rpcError(id: .null, code: -32600, "Invalid Request: expected one JSON-RPC object (batches are not supported)", status: .badRequest))
        }
        guard let method = object["method"]?.stringValue else {
            // A client's response to a server request (we send none): accepted, nothing to say.
            return loop.makeSucceededFuture(HTTPAnswer(status: .accepted, contentType: HTTPAnswer.jsonType, body: []))
        }
        guard let id = object["id"], !id.isNull else {
            // Notifications (`notifications/initialized`, cancellations) need no answer.
            return loop.makeSucceededFuture(HTTPAnswer(status: .accepted, contentType: HTTPAnswer.jsonType, body: []))
        }
        let params = object["params"] ?? .object([:])
        switch method {
        case "initialize":
            return loop.makeSucceededFuture(Self.result(id: id, initialize(params)))
        case "ping":
            return loop.makeSucceededFuture(Self.result(id: id, .object([:])))
        case "tools/list":
            return loop.makeSucceededFuture(Self.result(id: id, .object(["tools": .array(tools().map(\.json))])))
        case "tools/call":
            // The JSON-RPC body carries the arguments, so the token comes from the header only.
            switch NamedParameterCall.parse(request, parameters: params["arguments"] ?? .object([:])) {
            case .call(let named):
                return call(params, named, id: id, credential: request.bearerToken, origin: request.origin, on: loop)
            case .refused(let answer):
                return loop.makeSucceededFuture(answer)
            }
        default:
            return loop.makeSucceededFuture(Self.rpcError(id: id, code: -32601, "Method not found: \(method)"))
        }
    }

    private func initialize(_ params: JSON) -> JSON {
        let requested = params["protocolVersion"]?.stringValue ?? ""
        let version = Self.protocolVersions.contains(requested) ? requested : Self.protocolVersions[0]
        return .object([
            "protocolVersion": .string(version),
            "capabilities": .object(["tools": .object(["listChanged": .bool(false)])]),
            "serverInfo": .object(["name": .string(Self.serverName), "version": "1.0.0"]),
            "instructions": "Tools are the exports of the WebAssembly apps loaded in this EnclaveOS server, named <app>.<function>. Each call runs in a fresh, fuel-limited instance inside the server's TEE; verify the RA-TLS certificate to know which code answers.",
        ])
    }

    /// One tool: its MCP name, the app and export it calls, and its description.
    struct Tool {
        let name: String
        let app: String
        let function: String
        let json: JSON
    }

    private func tools() -> [Tool] {
        registry.all().sorted { $0.name < $1.name }.flatMap { app in
            app.component.exports.sorted { $0.name < $1.name }.map { export in
                let name = Self.toolName(app: app.name, function: export.name)
                var object = JSONObject(["name": .string(name)])
                let prefix = app.codeHash.prefix(16)
                object.append("description", .string(export.docs
                    ?? "Export '\(export.name)' of app '\(app.name)' (code_hash \(prefix)…)"))
                object.append("inputSchema", MCPToolManifest.inputSchema(export))
                return Tool(name: name, app: app.name, function: export.name, json: .object(object))
            }
        }
    }

    /// `<app>.<function>` with characters MCP tool names do not allow replaced by `_`.
    static func toolName(app: String, function: String) -> String {
        String("\(app).\(function)".unicodeScalars.map { scalar -> Character in
            let allowed = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                || scalar == "_" || scalar == "-" || scalar == ".")
            return allowed ? Character(scalar) : "_"
        })
    }

    private func call(_ params: JSON, _ named: NamedParameterCall, id: JSON, credential: String?, origin: RequestOrigin,
                      on loop: EventLoop) -> EventLoopFuture<HTTPAnswer> {
        guard let name = params["name"]?.stringValue else {
            return loop.makeSucceededFuture(Self.rpcError(id: id, code: -32602, "Invalid params: tools/call needs a tool 'name'"))
        }
        guard let tool = tools().first(where: { $0.name == name }) else {
            return loop.makeSucceededFuture(Self.rpcError(id: id, code: -32602, "Unknown tool: \(name)"))
        }
        let arguments = named.parameters
        guard arguments.objectValue != nil else {
            return loop.makeSucceededFuture(Self.rpcError(id: id, code: -32602, "Invalid params: 'arguments' must be an object"))
        }
        let request = ConnectCallRequest(app: tool.app, function: tool.function, body: arguments, appAuth: named.appAuth)
        return dispatcher.answer(.success(.connectCall(request)), credential: credential, origin: origin, on: loop).map { document in
            Self.result(id: id, Self.toolResult(document))
        }
    }

    /// A `connect_call` answer as an MCP tool result: the bare value as JSON text (and as
    /// `structuredContent` when it is an object); a failed call is a result with `isError`.
    static func toolResult(_ document: [UInt8]) -> JSON {
        let json = (try? JSON.parse(document)) ?? .null
        guard json["status"]?.stringValue == "ok" else {
            let message = json["message"]?.stringValue ?? String(decoding: document, as: UTF8.self)
            return .object(["content": .array([.object(["type": "text", "text": .string(message)])]), "isError": .bool(true)])
        }
        let value = MCPToolsShim.bareValue(of: json["returns"]?.arrayValue ?? [])
        let text: String = value.stringValue ?? value.serializedString
        var object = JSONObject(["content": .array([.object(["type": "text", "text": .string(text)])])])
        if value.objectValue != nil { object.append("structuredContent", value) }
        object.append("isError", .bool(false))
        return .object(object)
    }

    /// Refuses an unsupported `MCP-Protocol-Version` and a browser `Origin` from another host
    /// (the transport's defence against DNS rebinding).
    private static func checkHeaders(_ request: HTTPRequest) -> HTTPAnswer? {
        if let version = request.header("mcp-protocol-version"), !protocolVersions.contains(version) {
            return rpcError(id: .null, code: -32600, "Unsupported MCP-Protocol-Version \(version); supported: \(protocolVersions.joined(separator: ", "))",
                            status: .badRequest)
        }
        if let origin = request.header("origin") {
            let host = request.header("host").map { $0.split(separator: ":").first.map(String.init) ?? $0 } ?? ""
            let originHost = origin.split(separator: "/").dropFirst().first.map { $0.split(separator: ":").first.map(String.init) ?? "" } ?? ""
            let local: Set<String> = ["localhost", "127.0.0.1", "[::1]"]
            guard originHost == host || local.contains(originHost) else {
                return rpcError(id: .null, code: -32600, "Origin \(origin) is not this server", status: .forbidden)
            }
        }
        return nil
    }

    static func result(id: JSON, _ result: JSON) -> HTTPAnswer {
        .json(.object(["jsonrpc": "2.0", "id": id, "result": result]))
    }

    static func rpcError(id: JSON, code: Int64, _ message: String, status: HTTPResponseStatus = .ok) -> HTTPAnswer {
        .json(.object(["jsonrpc": "2.0", "id": id, "error": .object(["code": .int(code), "message": .string(message)])]), status: status)
    }
}
