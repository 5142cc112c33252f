import BuildInfo
import EnclaveClient
import EnclaveProtocol
import Foundation
import NIOHTTP1

/// One HTTP request to the console, read whole.
struct ConsoleRequest: Sendable {
    let method: HTTPMethod
    let path: String
    let query: [String: String]
    let headers: HTTPHeaders
    let body: [UInt8]
}

/// The answer to a ``ConsoleRequest``.
struct ConsoleResponse: Sendable {
    let status: HTTPResponseStatus
    let contentType: String
    let body: [UInt8]

    static func json(_ json: JSON, status: HTTPResponseStatus = .ok) -> ConsoleResponse {
        ConsoleResponse(status: status, contentType: "application/json", body: json.serialized())
    }

    static func error(_ message: String, status: HTTPResponseStatus) -> ConsoleResponse {
        json(.object(["error": .string(message)]), status: status)
    }
}

/// The console's routes: the page and its assets (embedded at build time), and a JSON API over
/// the verified connection (``ConsoleBackend``). Every API request must carry the console's
/// random token (`X-Console-Token`, which the page takes from its URL's fragment) and a `Host`
/// of 127.0.0.1 or localhost with the console's port, so no other web page the browser has
/// open can drive it (cross-site requests cannot set the header; DNS rebinding fails the Host
/// check).
final class ConsoleAPI: Sendable {
    /// Largest component the load form accepts.
    static let maxUpload = 64 << 20
    /// Largest body of any other request.
    static let maxRequest = 1 << 20

    let backend: ConsoleBackend
    let token: String
    let port: Int

    init(backend: ConsoleBackend, token: String, port: Int) {
        self.backend = backend
        self.token = token
        self.port = port
    }

    func handle(_ request: ConsoleRequest) -> ConsoleResponse {
        let host = request.headers.first(name: "host") ?? ""
        guard host == "127.0.0.1:\(port)" || host == "localhost:\(port)" else {
            return .error("this console answers only http://127.0.0.1:\(port)/", status: .misdirectedRequest)
        }
        if request.method == .GET, let asset = ConsoleAssets.asset(at: request.path) { return asset }
        guard request.path.hasPrefix("/api/") else { return .error("no page \(request.path)", status: .notFound) }
        guard let given = request.headers.first(name: "x-console-token"), ConsoleAPI.constantTimeEqual(given, token) else {
            return .error("missing or wrong console token: open the URL `enclave console` printed", status: .forbidden)
        }
        do {
            return try route(request)
        } catch let error as EnclaveClientError {
            switch ExitStatus.of(error) {
            case .connectionFailed: return .error("\(error)", status: .badGateway)
            case .usage: return .error("\(error)", status: .badRequest)
            default: return .error("\(error)", status: .unprocessableEntity)
            }
        } catch let error as AttestationRefused {
            return .error("\(error)", status: .badGateway)
        } catch {
            return .error("\(error)", status: .badRequest)
        }
    }

    private func route(_ request: ConsoleRequest) throws -> ConsoleResponse {
        switch (request.method, request.path) {
        case (.GET, "/api/status"): return status()
        case (.GET, "/api/apps"): return .json(try backend.management(ManagementMessages.list()))
        case (.GET, "/api/schema"): return .json(try schema(app: try parameter("app", in: request.query)))
        case (.POST, "/api/call"): return .json(try call(try body(request)))
        case (.POST, "/api/load"): return .json(try load(request))
        case (.GET, "/api/load-progress"): return .json(loadProgress(name: try parameter("name", in: request.query)))
        case (.POST, "/api/unload"):
            let name = try string("name", in: try body(request))
            defer { backend.invalidate(app: name) }
            return .json(try backend.management(ManagementMessages.unload(name: name)))
        default: return .error("no API \(request.method) \(request.path)", status: .notFound)
        }
    }

    /// The server, this console's version, and the attestation report of a freshly fetched certificate.
    private func status() -> ConsoleResponse {
        var object = JSONObject(["server": .string("\(backend.target.host):\(backend.target.port)"),
                                 "console_version": .string(BuildInfo.versionLine)])
        do {
            object.append("attestation", .object(try backend.attestation().jsonObject))
        } catch {
            object.append("attestation_error", .string("\(error)"))
        }
        return .json(.object(object))
    }

    /// An app's signatures as the page builds its forms from them: WIT text, and per
    /// parameter its schema type and whether it takes plain text (strings, chars) or WAVE.
    private func schema(app: String) throws -> JSON {
        let schema = try backend.schema(app: app)
        let functions: [JSON] = try schema.functions.map { function in
            let params: [JSON] = try zip(function.params, function.parameterTypes()).map { slot, type in
                .object(["name": .string(slot.name), "wit": .string(WITTypeText.reference(type)),
                         "plain_text": .bool(type == .string || type == .char), "type": slot.type])
            }
            return .object(["name": .string(function.name), "signature": .string(try function.witSignature()),
                            "docs": function.docs.map(JSON.string) ?? .null, "params": .array(params)])
        }
        return .object(["app": .string(app), "types": .array(try schema.namedTypeDefinitions().map(JSON.string)),
                        "functions": .array(functions)])
    }

    /// `{"app", "call": "add(2, 40)"}` (WAVE) or `{"app", "function", "args": [text, …]}` (each
    /// typed like the command line's words: strings as is, anything else WAVE).
    private func call(_ document: JSON) throws -> JSON {
        let app = try string("app", in: document)
        let schema = try backend.schema(app: app)
        let function: FunctionSchema
        let params: [JSON]
        if let text = document["call"]?.stringValue {
            (function, params) = try schema.waveCall(text)
        } else {
            let name = try string("function", in: document)
            guard let found = schema.function(named: name) else {
                throw EnclaveClientError.requestFailed("app '\(app)' has no export '\(name)'")
            }
            let words = try (document["args"]?.arrayValue ?? []).map { item -> String in
                guard let word = item.stringValue else { throw EnclaveClientError.invalidArgument("args must be strings") }
                return word
            }
            (function, params) = (found, try ArgumentTyping.typedParams(words, params: found.params))
        }
        let response = try backend.management(ManagementMessages.call(app: app, function: function.name, params: params))
        guard response["status"]?.stringValue == "ok", let returns = response["returns"]?.arrayValue else {
            throw EnclaveClientError.requestFailed(response["message"]?.stringValue ?? response.serializedString)
        }
        return .object(["function": .string(function.name), "results": .array(try function.waveResults(returns).map(JSON.string)),
                        "response": response])
    }

    /// The request body is the component; `name` (and optionally `hostname`) in the query.
    /// Answers as `wasm_load` does (`{"status":"loaded","app":{…}}`).
    private func load(_ request: ConsoleRequest) throws -> JSON {
        let name = try parameter("name", in: request.query)
        guard !request.body.isEmpty else { throw EnclaveClientError.invalidArgument("the request carries no component") }
        let hostname = request.query["hostname"].flatMap { $0.isEmpty ? nil : $0 }
        let app = try backend.load(name: name, bytes: request.body, hostname: hostname)
        return ManagementResponse.loaded(app.info).json()
    }

    /// How far the server has got with a load the page started: the phase (hashing,
    /// uploading, committing), bytes acknowledged, total, and how it travels.
    private func loadProgress(name: String) -> JSON {
        guard let progress = backend.progress(of: name) else { return .object(["active": .bool(false)]) }
        let phase: String
        switch progress.phase {
        case .hashing: phase = "hashing"
        case .uploading: phase = "uploading"
        case .committing: phase = "committing"
        }
        return .object(["active": .bool(true), "phase": .string(phase), "bytes_done": .int(Int64(progress.bytesDone)),
                        "total_bytes": .int(Int64(progress.totalBytes)), "method": .string(progress.method)])
    }

    private func body(_ request: ConsoleRequest) throws -> JSON {
        do {
            return try JSON.parse(request.body)
        } catch {
            throw EnclaveClientError.invalidArgument("request body is not JSON: \(error)")
        }
    }

    private func string(_ key: String, in document: JSON) throws -> String {
        guard let value = document[key]?.stringValue, !value.isEmpty else { throw EnclaveClientError.invalidArgument("missing '\(key)'") }
        return value
    }

    private func parameter(_ key: String, in query: [String: String]) throws -> String {
        guard let value = query[key], !value.isEmpty else { throw EnclaveClientError.invalidArgument("missing ?\(key)=") }
        return value
    }

    /// Compares without an early exit, so the time taken does not tell how much of a guess matched.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
