/// A management response carried inside `Data` (docs/protocol.md §3), written with the original's key order.
public enum ManagementResponse: Hashable, Sendable {
    case loaded(AppInfo)
    case ok(returns: [JSON])
    /// Served apps; stored apps that are not served (quarantined, or not restorable) follow
    /// under `unavailable`, a key written only when there are any (compat clients never see it).
    case apps([AppInfo], unavailable: [UnavailableApp] = [])
    case unloaded(String)
    case notFound(String)
    /// `wasm_schema`: the original's `{"status":"schema","schema":{name, hostname, functions?,
    /// interfaces?, mcp_enabled}}`; the value is the `schema` object.
    case schema(JSON)
    /// `mcp_tools`: `{"status":"mcp_tools","manifest":{name, tools}}`; the value is the manifest.
    case mcpTools(JSON)
    case error(String)
    /// `wasm_load_begin` accepted: send the chunks to this upload.
    case uploadReady(UploadTicket)
    /// A `wasm_load_chunk` was stored; `received` bytes of the upload so far.
    case chunkReceived(upload: String, received: Int)
    /// `wasm_load_abort`: the upload is gone.
    case uploadAborted(upload: String)

    /// The inner JSON document.
    public func json() -> JSON {
        switch self {
        case .loaded(let app): return .object(["status": "loaded", "app": app.json()])
        case .ok(let returns): return .object(["status": "ok", "returns": .array(returns)])
        case .apps(let apps, let unavailable):
            var object = JSONObject(["status": "apps", "apps": .array(apps.map { $0.json() })])
            if !unavailable.isEmpty { object.append("unavailable", .array(unavailable.map { $0.json() })) }
            return .object(object)
        case .unloaded(let name): return .object(["status": "unloaded", "name": .string(name)])
        case .notFound(let name): return .object(["status": "not_found", "name": .string(name)])
        case .schema(let schema): return .object(["status": "schema", "schema": schema])
        case .mcpTools(let manifest): return .object(["status": "mcp_tools", "manifest": manifest])
        case .error(let message): return .object(["status": "error", "message": .string(message)])
        case .uploadReady(let ticket):
            return .object(["status": "upload", "upload": .string(ticket.upload),
                            "chunk_size": .uint(UInt64(ticket.chunkSize)), "timeout_seconds": .uint(UInt64(ticket.timeoutSeconds))])
        case .chunkReceived(let upload, let received):
            return .object(["status": "chunk", "upload": .string(upload), "received": .uint(UInt64(received))])
        case .uploadAborted(let upload):
            return .object(["status": "aborted", "upload": .string(upload)])
        }
    }

    /// Reads an inner response document (what a client receives); nil when `status` is unknown
    /// or a field it needs is missing or mistyped.
    public static func decode(_ json: JSON) -> ManagementResponse? {
        func string(_ key: String) -> String? { json[key]?.stringValue }
        func count(_ key: String) -> Int? { json[key]?.numberValue?.uint64.flatMap { Int(exactly: $0) } }
        switch string("status") {
        case "loaded": return json["app"].flatMap(AppInfo.init(json:)).map { .loaded($0) }
        case "ok": return json["returns"]?.arrayValue.map { .ok(returns: $0) }
        case "apps":
            guard let list = json["apps"]?.arrayValue else { return nil }
            let apps = list.compactMap(AppInfo.init(json:))
            let stored = json["unavailable"]?.arrayValue ?? []
            let unavailable = stored.compactMap(UnavailableApp.init(json:))
            return apps.count == list.count && unavailable.count == stored.count ? .apps(apps, unavailable: unavailable) : nil
        case "unloaded": return string("name").map { .unloaded($0) }
        case "not_found": return string("name").map { .notFound($0) }
        case "schema": return json["schema"].flatMap { $0.objectValue == nil ? nil : .schema($0) }
        case "mcp_tools": return json["manifest"].flatMap { $0.objectValue == nil ? nil : .mcpTools($0) }
        case "error": return string("message").map { .error($0) }
        case "upload":
            guard let upload = string("upload"), let size = count("chunk_size"), let timeout = count("timeout_seconds") else { return nil }
            return .uploadReady(UploadTicket(upload: upload, chunkSize: size, timeoutSeconds: timeout))
        case "chunk":
            guard let upload = string("upload"), let received = count("received") else { return nil }
            return .chunkReceived(upload: upload, received: received)
        case "aborted": return string("upload").map { .uploadAborted(upload: $0) }
        default: return nil
        }
    }

    /// The compact encoding of `json()`.
    public func encoded() -> [UInt8] { json().serialized() }
}

/// What the server reports about a loaded app.
public struct AppInfo: Hashable, Sendable {
    public var name: String
    /// The SNI name of the app's own certificate (defaults to `name`).
    public var hostname: String
    /// Lowercase hex SHA-256 of the uploaded bytes.
    public var codeHash: String
    /// `generated` or `byok:<hex sha256 of the key>`.
    public var keySource: String
    /// Exported functions, sorted by name.
    public var exports: [ExportSummary]

    public init(name: String, hostname: String, codeHash: String, keySource: String, exports: [ExportSummary]) {
        self.name = name
        self.hostname = hostname
        self.codeHash = codeHash
        self.keySource = keySource
        self.exports = exports
    }

    /// The app object, keys in the original's order.
    public func json() -> JSON {
        .object([
            "name": .string(name),
            "hostname": .string(hostname),
            "code_hash": .string(codeHash),
            "key_source": .string(keySource),
            "exports": .array(exports.map { $0.json() }),
        ])
    }

    /// Reads an app object (client side); nil if a field is missing or mistyped.
    public init?(json: JSON) {
        guard let name = json["name"]?.stringValue, let hostname = json["hostname"]?.stringValue,
              let codeHash = json["code_hash"]?.stringValue, let keySource = json["key_source"]?.stringValue,
              let exports = json["exports"]?.arrayValue
        else { return nil }
        let summaries = exports.compactMap(ExportSummary.init(json:))
        guard summaries.count == exports.count else { return nil }
        self.init(name: name, hostname: hostname, codeHash: codeHash, keySource: keySource, exports: summaries)
    }
}

/// A stored app the server does not serve, and why: an operator reloads (the same code) or
/// unloads it.
public struct UnavailableApp: Hashable, Sendable {
    public enum State: String, Sendable {
        /// The server stopped abnormally while this app ran; it is kept, not served.
        case quarantined
        /// It failed to load again when the server started (e.g. a stricter validator).
        case notRestored = "not_restored"
    }

    public var name: String
    public var codeHash: String
    public var state: State
    public var reason: String
    /// When the quarantine began (seconds since 1970), for quarantined apps.
    public var since: Int64?

    public init(name: String, codeHash: String, state: State, reason: String, since: Int64? = nil) {
        self.name = name
        self.codeHash = codeHash
        self.state = state
        self.reason = reason
        self.since = since
    }

    public func json() -> JSON {
        var object = JSONObject([
            "name": .string(name), "code_hash": .string(codeHash),
            "state": .string(state.rawValue), "reason": .string(reason),
        ])
        if let since { object.append("since", .int(since)) }
        return .object(object)
    }

    public init?(json: JSON) {
        guard let name = json["name"]?.stringValue, let codeHash = json["code_hash"]?.stringValue,
              let state = json["state"]?.stringValue.flatMap(State.init(rawValue:)),
              let reason = json["reason"]?.stringValue
        else { return nil }
        self.init(name: name, codeHash: codeHash, state: state, reason: reason, since: json["since"]?.numberValue?.int64)
    }
}

/// One exported function in an app listing.
public struct ExportSummary: Hashable, Sendable {
    public var name: String
    public var paramCount: Int
    public var resultCount: Int

    public init(name: String, paramCount: Int, resultCount: Int) {
        self.name = name
        self.paramCount = paramCount
        self.resultCount = resultCount
    }

    public func json() -> JSON {
        .object(["name": .string(name), "param_count": .int(Int64(paramCount)), "result_count": .int(Int64(resultCount))])
    }

    public init?(json: JSON) {
        guard let name = json["name"]?.stringValue,
              let params = json["param_count"]?.numberValue?.int64,
              let results = json["result_count"]?.numberValue?.int64
        else { return nil }
        self.init(name: name, paramCount: Int(params), resultCount: Int(results))
    }
}

extension JSON: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}
