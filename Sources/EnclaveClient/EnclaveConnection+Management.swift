import EnclaveProtocol

/// Management messages (docs/protocol.md §3) over an ``EnclaveConnection``.
extension EnclaveConnection {
    /// Sends `Ping`; throws unless the server answers `Pong`.
    public func ping() throws {
        try Self.expectPong(try send(request: .ping))
    }

    /// Async variant of ``ping()``.
    public func ping() async throws {
        try Self.expectPong(try await send(request: .ping))
    }

    /// Sends an inner management document wrapped in `Data` and returns the inner JSON
    /// response as is (including `{"status":"error",…}` answers, which are not thrown).
    /// `bytesAs` writes the `Data` bytes as base64 instead of the compat integer array (the
    /// answer comes back the same way; servers of the original protocol read integer arrays only).
    public func management(_ json: JSON, bytesAs encoding: ByteEncoding = .integerArray) throws -> JSON {
        try Self.unwrapData(try send(request: .data(json.serialized()), bytesAs: encoding))
    }

    /// Async variant of ``management(_:bytesAs:)``.
    public func management(_ json: JSON, bytesAs encoding: ByteEncoding = .integerArray) async throws -> JSON {
        try Self.unwrapData(try await send(request: .data(json.serialized()), bytesAs: encoding))
    }

    /// Loads a component. `key` is the optional 64-hex-digit BYOK key; `base64` sends the bytes
    /// as base64 instead of the compat integer array.
    public func load(name: String, bytes: [UInt8], hostname: String? = nil, key: String? = nil, base64: Bool = false,
                     replace: Bool = false, operatorToken: String? = nil) throws -> AppSummary {
        let message = ManagementMessages.load(name: name, bytes: bytes, hostname: hostname, key: key, base64: base64, replace: replace)
        let json = try management(ManagementMessages.authorized(message, token: operatorToken))
        return try AppSummary(json: Self.expect(json, status: "loaded", field: "app"))
    }

    /// Calls `function` of `app` with typed parameters (`{"type":…,"value":…}`); returns the
    /// typed results.
    public func call(app: String, function: String, params: [JSON]) throws -> [JSON] {
        let json = try management(ManagementMessages.call(app: app, function: function, params: params))
        guard let returns = try Self.expect(json, status: "ok", field: "returns").arrayValue else {
            throw EnclaveClientError.malformedResponse("'returns' is not an array")
        }
        return returns
    }

    /// Async variant of ``call(app:function:params:)``.
    public func call(app: String, function: String, params: [JSON]) async throws -> [JSON] {
        let json = try await management(ManagementMessages.call(app: app, function: function, params: params))
        guard let returns = try Self.expect(json, status: "ok", field: "returns").arrayValue else {
            throw EnclaveClientError.malformedResponse("'returns' is not an array")
        }
        return returns
    }

    /// The loaded apps, sorted by name.
    public func list() throws -> [AppSummary] {
        let json = try management(ManagementMessages.list())
        guard let apps = try Self.expect(json, status: "apps", field: "apps").arrayValue else {
            throw EnclaveClientError.malformedResponse("'apps' is not an array")
        }
        return try apps.map(AppSummary.init(json:))
    }

    /// Unloads `name` (with an operator's token where the server requires one); returns false
    /// if no such app was loaded.
    @discardableResult
    public func unload(name: String, operatorToken: String? = nil) throws -> Bool {
        let json = try management(ManagementMessages.authorized(ManagementMessages.unload(name: name), token: operatorToken))
        switch json["status"]?.stringValue {
        case "unloaded": return true
        case "not_found": return false
        default: throw Self.failure(json, expected: "unloaded or not_found")
        }
    }

    /// The WIT signature of every export of `app`.
    public func schema(app: String) throws -> AppSchema {
        let json = try management(ManagementMessages.schema(app: app))
        _ = try Self.expect(json, status: "schema", field: "schema")
        return try AppSchema(json: json)
    }

    /// Asks the server to shut down. Operators authenticate with `token`; without one the
    /// compat form `"Shutdown"` is sent, which an EnclaveOS server refuses.
    public func shutdown(token: String?) throws {
        switch try send(request: .shutdown(token: token)) {
        case .ok: return
        case .error(let message): throw EnclaveClientError.serverError(message)
        case let other: throw EnclaveClientError.unexpectedResponse(expected: "Ok", got: Self.describe(other))
        }
    }

    // MARK: - Response checks

    static func expectPong(_ response: Response) throws {
        switch response {
        case .pong: return
        case .error(let message): throw EnclaveClientError.serverError(message)
        default: throw EnclaveClientError.unexpectedResponse(expected: "Pong", got: describe(response))
        }
    }

    static func unwrapData(_ response: Response) throws -> JSON {
        switch response {
        case .data(let bytes):
            do {
                return try JSON.parse(bytes)
            } catch {
                throw EnclaveClientError.malformedResponse("Data payload is not JSON: \(error)")
            }
        case .error(let message): throw EnclaveClientError.serverError(message)
        default: throw EnclaveClientError.unexpectedResponse(expected: "Data", got: describe(response))
        }
    }

    /// Returns `json[field]` if `json.status == status`; otherwise throws the server's message.
    static func expect(_ json: JSON, status: String, field: String) throws -> JSON {
        guard json["status"]?.stringValue == status else { throw failure(json, expected: status) }
        guard let value = json[field] else { throw EnclaveClientError.malformedResponse("'\(status)' response lacks '\(field)'") }
        return value
    }

    static func failure(_ json: JSON, expected: String) -> EnclaveClientError {
        if json["status"]?.stringValue == "error" {
            return .requestFailed(json["message"]?.stringValue ?? "error without a message")
        }
        return .unexpectedResponse(expected: "status \(expected)", got: json.serializedString)
    }

    static func describe(_ response: Response) -> String {
        switch response {
        case .pong: return "Pong"
        case .ok: return "Ok"
        case .data(let bytes): return "Data(\(bytes.count) bytes)"
        case .error(let message): return "Error(\(message))"
        case .chunked(let head): return "Chunked(\(head.size) bytes)"
        }
    }
}
