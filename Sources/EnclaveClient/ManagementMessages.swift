import EnclaveProtocol
import Foundation

/// Builders for the inner management documents (SPEC §3), shared by the typed helpers and by
/// tools that print the raw response (`enclave --json`).
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
        var body = JSONObject(pairs: [])
        body.append("name", .string(name))
        body.append("bytes", base64 ? .string(Data(bytes).base64EncodedString()) : .bytes(bytes))
        if let hostname { body.append("hostname", .string(hostname)) }
        if let key { body.append("encryption_key", .string(key)) }
        if let maxFuel { body.append("max_fuel", .uint(maxFuel)) }
        if replace { body.append("replace", .bool(true)) }
        if let appAuth { body.append("app_auth", .string(appAuth)) }
        return .object(JSONObject(pairs: [.init(key: "wasm_load", value: .object(body))]))
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
        .object(["wasm_list": .object(JSONObject(pairs: []))])
    }

    /// `{"wasm_unload":{"name"}}`.
    public static func unload(name: String) -> JSON {
        .object(["wasm_unload": .object(["name": .string(name)])])
    }

    /// `{"wasm_schema":{"app"}}`.
    public static func schema(app: String) -> JSON {
        .object(["wasm_schema": .object(["app": .string(app)])])
    }
}
