import EnclaveProtocol
import Foundation

/// Builders for the inner management documents (SPEC §3), shared by the typed helpers and by
/// tools that print the raw response (`enclave --json`).
public enum ManagementMessages {
    /// `{"wasm_load":{"name","bytes","hostname"?,"encryption_key"?}}`.
    /// - Parameter base64: send `bytes` as a base64 string (≈10× smaller on the wire than the
    ///   compat integer array, which is the default).
    public static func load(name: String, bytes: [UInt8], hostname: String? = nil, key: String? = nil,
                            base64: Bool = false, maxFuel: UInt64? = nil) -> JSON {
        var body = JSONObject(pairs: [])
        body.append("name", .string(name))
        body.append("bytes", base64 ? .string(Data(bytes).base64EncodedString()) : .bytes(bytes))
        if let hostname { body.append("hostname", .string(hostname)) }
        if let key { body.append("encryption_key", .string(key)) }
        if let maxFuel { body.append("max_fuel", .uint(maxFuel)) }
        return .object(JSONObject(pairs: [.init(key: "wasm_load", value: .object(body))]))
    }

    /// `{"wasm_call":{"app","function","params":[typed…],"chunked_result":true}}`: this client
    /// reads results too large for one frame as chunked responses (servers of the original
    /// protocol ignore the field).
    public static func call(app: String, function: String, params: [JSON]) -> JSON {
        ManagementRequest.call(CallRequest(app: app, function: function, params: params, chunkedResult: true)).json()
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
