/// A management message carried inside `Data` (docs/protocol.md §3).
public enum ManagementRequest: Hashable, Sendable {
    case load(LoadRequest)
    case call(CallRequest)
    case list
    case unload(name: String)
    case schema(app: String)
    /// A step of a streamed load (`wasm_load_begin`, `_chunk`, `_commit`, `_abort`).
    case upload(UploadMessage)
    /// `connect_call`: a call with named parameters, typed by the server from the signature.
    case connectCall(ConnectCallRequest)
    /// `mcp_tools`: the app's exports as an MCP tool manifest; an empty app means the only one.
    case mcpTools(app: String)

    /// The message keys, in the order they are checked (compat: call, load, unload, list).
    public static let messageKeys = ["wasm_call", "wasm_load", "wasm_unload", "wasm_list", "wasm_schema",
                                     "connect_call", "mcp_tools"]
        + UploadMessage.messageKeys

    /// The top-level key of an inner document that carries the caller's credential (the
    /// original's platform `"auth"`); HTTP carries it as `Authorization: Bearer`.
    public static let credentialKey = "auth"

    /// Decodes an inner document; the error names the field that is wrong. A credential sent
    /// beside the message (`"auth"`) is checked for shape and dropped; `decodeEnvelope` keeps it.
    public static func decode(_ inner: [UInt8]) -> Result<ManagementRequest, ManagementError> {
        decodeEnvelope(inner).map(\.request)
    }

    /// Decodes an inner document together with the operator credential sent beside the message
    /// (`{"auth":"<token>","wasm_load":{…}}`, as later clients of the original send it).
    public static func decodeEnvelope(_ inner: [UInt8]) -> Result<ManagementEnvelope, ManagementError> {
        let json: JSON
        do {
            json = try JSON.parse(inner)
        } catch {
            return .failure(ManagementError("invalid JSON in Data: \(error)"))
        }
        return decodeEnvelope(json)
    }

    /// Decodes an inner document and the credential it carries (a string under `"auth"`; an
    /// ill-formed one fails the decoding, naming the field).
    public static func decodeWithCredential(_ inner: [UInt8]) -> (Result<ManagementRequest, ManagementError>, credential: String?) {
        switch decodeEnvelope(inner) {
        case .success(let envelope): return (.success(envelope.request), envelope.auth)
        case .failure(let error): return (.failure(error), nil)
        }
    }

    /// Decodes a parsed inner document.
    public static func decode(_ json: JSON) -> Result<ManagementRequest, ManagementError> {
        decodeEnvelope(json).map(\.request)
    }

    /// Decodes a parsed inner document together with its credential.
    public static func decodeEnvelope(_ json: JSON) -> Result<ManagementEnvelope, ManagementError> {
        guard let object = json.objectValue else {
            return .failure(ManagementError("expected a JSON object with one of \(messageKeys.joined(separator: ", "))"))
        }
        let auth: String?
        do throws(ManagementError) {
            auth = try ManagementEnvelope.credential(object[credentialKey])
        } catch {
            return .failure(error)
        }
        return decodeMessage(object).map { ManagementEnvelope(request: $0, auth: auth) }
    }

    private static func decodeMessage(_ object: JSONObject) -> Result<ManagementRequest, ManagementError> {
        do throws(ManagementError) {
            if let body = object["wasm_call"] { return .success(.call(try CallRequest(body))) }
            if let body = object["wasm_load"] { return .success(.load(try LoadRequest(body))) }
            if let body = object["wasm_unload"] {
                return .success(.unload(name: try FieldReader(body, "wasm_unload").requiredName("name")))
            }
            if object["wasm_list"] != nil { return .success(.list) }
            if let body = object["wasm_schema"] {
                return .success(.schema(app: try FieldReader(body, "wasm_schema").requiredName("app")))
            }
            if let body = object["connect_call"] { return .success(.connectCall(try ConnectCallRequest(body))) }
            if let body = object["mcp_tools"] {
                // The original sends "" for "the only app" (its HTTP shim derives the app from Host).
                return .success(.mcpTools(app: try FieldReader(body, "mcp_tools").optionalString("app") ?? ""))
            }
            for key in UploadMessage.messageKeys {
                if let body = object[key], let message = try UploadMessage.decode(key: key, body: body) {
                    return .success(.upload(message))
                }
            }
        } catch {
            return .failure(error)
        }
        let found = object.keys.filter { $0 != "auth" }.prefix(9).map { "'\($0)'" }.joined(separator: ", ")
        return .failure(ManagementError("unknown message \(found.isEmpty ? "{}" : found): expected one of \(messageKeys.joined(separator: ", "))"))
    }

    /// The inner JSON document for this message (what a client sends).
    public func json() -> JSON {
        switch self {
        case .load(let load): return .object(["wasm_load": load.json()])
        case .call(let call): return .object(["wasm_call": call.json()])
        case .list: return .object(["wasm_list": .object([:])])
        case .unload(let name): return .object(["wasm_unload": .object(["name": .string(name)])])
        case .schema(let app): return .object(["wasm_schema": .object(["app": .string(app)])])
        case .upload(let message): return message.json()
        case .connectCall(let call): return .object(["connect_call": call.json()])
        case .mcpTools(let app): return .object(["mcp_tools": .object(["app": .string(app)])])
        }
    }
}

/// A malformed management message; `message` is sent back as `{"status":"error","message":…}`.
public struct ManagementError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `wasm_load`: upload a component.
public struct LoadRequest: Hashable, Sendable {
    public var name: String
    /// The component binary, from an integer array (compat) or a base64 string.
    public var bytes: [UInt8]
    public var hostname: String?
    /// 64 hex characters (BYOK), validated by the server with the compat error texts.
    public var encryptionKey: String?
    /// A per-app fuel budget overriding the server default.
    public var maxFuel: UInt64?
    /// `fresh_instances`: true instantiates the app afresh for every call instead of serving
    /// calls from a reset post-instantiation snapshot (nil: the server's default).
    public var freshInstances: Bool?
    /// Whether `bytes` was sent as base64 (a client preference kept for `json()`).
    public var base64: Bool
    /// `replace`: an upgrade of the app of that name, keeping its key and data (an operator's
    /// action); without it a taken name is refused.
    public var replace: Bool
    /// `app_auth`: a token callers must present to call the app (nil: anyone may call it; on a
    /// replace, nil keeps the stored one and `""` removes it).
    public var appAuth: String?

    public init(name: String, bytes: [UInt8], hostname: String? = nil, encryptionKey: String? = nil,
                maxFuel: UInt64? = nil, base64: Bool = false, freshInstances: Bool? = nil,
                replace: Bool = false, appAuth: String? = nil) {
        self.freshInstances = freshInstances
        self.replace = replace
        self.appAuth = appAuth
        self.name = name
        self.bytes = bytes
        self.hostname = hostname
        self.encryptionKey = encryptionKey
        self.maxFuel = maxFuel
        self.base64 = base64
    }

    init(_ body: JSON) throws(ManagementError) {
        let fields = try FieldReader(body, "wasm_load")
        name = try fields.requiredName("name")
        guard let raw = body["bytes"] else { throw fields.error("bytes", "missing (expected an array of integers 0-255 or a base64 string)") }
        if let array = raw.byteArray() {
            bytes = array
            base64 = false
        } else if let text = raw.stringValue, let decoded = Base64.decode(text) {
            bytes = decoded
            base64 = true
        } else {
            throw fields.error("bytes", "expected an array of integers 0-255 or a base64 string")
        }
        hostname = try fields.optionalString("hostname")
        encryptionKey = try fields.optionalString("encryption_key")
        maxFuel = try fields.optionalUInt64("max_fuel")
        freshInstances = try fields.optionalBool("fresh_instances")
        replace = try fields.optionalBool("replace") ?? false
        appAuth = try fields.optionalAppAuth()
    }

    func json() -> JSON {
        var object = JSONObject(["name": .string(name), "bytes": base64 ? .string(Base64.encode(bytes)) : .bytes(bytes)])
        if let hostname { object.append("hostname", .string(hostname)) }
        if let encryptionKey { object.append("encryption_key", .string(encryptionKey)) }
        if let maxFuel { object.append("max_fuel", .uint(maxFuel)) }
        if let freshInstances { object.append("fresh_instances", .bool(freshInstances)) }
        if replace { object.append("replace", .bool(true)) }
        if let appAuth { object.append("app_auth", .string(appAuth)) }
        return .object(object)
    }
}

/// `wasm_call`: call an export with typed parameters.
public struct CallRequest: Hashable, Sendable {
    public var app: String
    public var function: String
    /// Typed values `{"type":T,"value":V}`, checked by the server against the signature.
    public var params: [JSON]
    /// The client reads a result too large for one frame as a chunked response (`Chunked`
    /// head, then `Data` chunks); without it such a result is refused.
    public var chunkedResult: Bool
    /// `app_auth`: the caller's token for an app loaded with one (the original's field).
    public var appAuth: String?

    public init(app: String, function: String, params: [JSON], chunkedResult: Bool = false, appAuth: String? = nil) {
        self.appAuth = appAuth
        self.app = app
        self.function = function
        self.params = params
        self.chunkedResult = chunkedResult
    }

    init(_ body: JSON) throws(ManagementError) {
        let fields = try FieldReader(body, "wasm_call")
        app = try fields.requiredString("app")
        function = try fields.requiredString("function")
        switch body["params"] {
        case nil, .null?: params = []
        case .array(let list)?: params = list
        default: throw fields.error("params", "expected an array of typed values")
        }
        switch body["chunked_result"] {
        case nil, .null?: chunkedResult = false
        case .bool(let flag)?: chunkedResult = flag
        default: throw fields.error("chunked_result", "expected true or false")
        }
        appAuth = try fields.optionalAppAuth()
    }

    func json() -> JSON {
        var object = JSONObject(["app": .string(app), "function": .string(function), "params": .array(params)])
        if chunkedResult { object.append("chunked_result", .bool(true)) }
        if let appAuth { object.append("app_auth", .string(appAuth)) }
        return .object(object)
    }
}

/// `connect_call` (the original's named-parameter call): `body` is a JSON object of parameter
/// name → plain value (`{"a":2,"b":40}`), converted with the export's WIT signature.
public struct ConnectCallRequest: Hashable, Sendable {
    public var app: String
    public var function: String
    /// The named parameters; `null` or absent means none.
    public var body: JSON
    /// `app_auth`: the caller's token for an app loaded with one (the original's field).
    public var appAuth: String?

    public init(app: String, function: String, body: JSON, appAuth: String? = nil) {
        self.app = app
        self.function = function
        self.body = body
        self.appAuth = appAuth
    }

    init(_ json: JSON) throws(ManagementError) {
        let fields = try FieldReader(json, "connect_call")
        app = try fields.requiredString("app")
        function = try fields.requiredString("function")
        switch json["body"] {
        case nil, .null?: body = .object([:])
        case .object(let object)?: body = .object(object)
        default: throw fields.error("body", "expected a JSON object of named parameters")
        }
        appAuth = try fields.optionalAppAuth()
    }

    func json() -> JSON {
        var object = JSONObject(["app": .string(app), "function": .string(function), "body": body])
        if let appAuth { object.append("app_auth", .string(appAuth)) }
        return .object(object)
    }
}
