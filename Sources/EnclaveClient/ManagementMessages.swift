import EnclaveProtocol

/// Builders for the inner management documents (docs/protocol.md §3), shared by the typed helpers and by
/// tools that print the raw response (`enclave --json`); the documents are the protocol's own
/// (`ManagementRequest.json()`), the same code the server decodes them with.
public enum ManagementMessages {
    /// `{"wasm_load":{"name","bytes","hostname"?,"encryption_key"?}}`.
    /// - Parameter base64: send `bytes` as a base64 string (≈10× smaller on the wire than the
    ///   compat integer array, which is the default).
    /// - Parameters:
    ///   - replace: upgrade the app of that name, keeping its key and data.
    ///   - appAuth: the token the app's callers must present.
    public static func load(name: String, bytes: [UInt8], hostname: String? = nil, key: String? = nil,
                            base64: Bool = false, maxFuel: UInt64? = nil, replace: Bool = false,
                            appAuth: String? = nil) -> JSON {
        ManagementRequest.load(LoadRequest(name: name, bytes: bytes, hostname: hostname, encryptionKey: key, maxFuel: maxFuel,
                                           base64: base64, replace: replace, appAuth: appAuth)).json()
    }

    /// `message` with the operator token beside it (`{"auth":"<token>",…}`), as servers with
    /// operators require for loads, replaces and unloads; unchanged when `token` is nil.
    public static func authorized(_ message: JSON, token: String?) -> JSON {
        guard let token, case .object(let object) = message else { return message }
        return .object(JSONObject(pairs: [.init(key: "auth", value: .string(token))] + object.pairs.filter { $0.key != "auth" }))
    }

    /// `{"wasm_call":{"app","function","params":[typed…],"chunked_result":true}}`: this client
    /// reads results too large for one frame as chunked responses (servers of the original
    /// protocol ignore the field).
    public static func call(app: String, function: String, params: [JSON], appAuth: String? = nil) -> JSON {
        ManagementRequest.call(CallRequest(app: app, function: function, params: params, chunkedResult: true,
                                           appAuth: appAuth)).json()
    }

    /// `{"wasm_list":{}}`.
    public static func list() -> JSON {
        ManagementRequest.list.json()
    }

    /// `{"wasm_unload":{"name"}}`.
    public static func unload(name: String) -> JSON {
        ManagementRequest.unload(name: name).json()
    }

    /// `{"wasm_schema":{"app"}}`.
    public static func schema(app: String) -> JSON {
        ManagementRequest.schema(app: app).json()
    }
}
