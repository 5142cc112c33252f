import EnclaveProtocol

/// One exported function as listed by `wasm_load` / `wasm_list`.
public struct ExportInfo: Sendable, Hashable {
    /// `func` or `interface/func`.
    public var name: String
    public var paramCount: Int
    public var resultCount: Int
}

/// A loaded app as reported by `wasm_load` / `wasm_list`.
public struct AppSummary: Sendable, Hashable {
    public var name: String
    public var hostname: String
    /// Lowercase hex SHA-256 of the uploaded bytes.
    public var codeHash: String
    /// `generated` or `byok:<sha256 of key>`.
    public var keySource: String
    public var exports: [ExportInfo]

    /// Parses an app object; throws naming the missing field.
    public init(json: JSON) throws {
        func string(_ key: String) throws -> String {
            guard let value = json[key]?.stringValue else { throw EnclaveClientError.malformedResponse("app object lacks string '\(key)'") }
            return value
        }
        name = try string("name")
        hostname = try string("hostname")
        codeHash = try string("code_hash")
        keySource = try string("key_source")
        guard let exportList = json["exports"]?.arrayValue else { throw EnclaveClientError.malformedResponse("app object lacks 'exports'") }
        exports = try exportList.map { export in
            guard let name = export["name"]?.stringValue,
                  let params = export["param_count"]?.numberValue?.int64,
                  let results = export["result_count"]?.numberValue?.int64 else {
                throw EnclaveClientError.malformedResponse("export entry lacks name/param_count/result_count")
            }
            return ExportInfo(name: name, paramCount: Int(params), resultCount: Int(results))
        }
    }
}

/// A named parameter or result with its WIT type as a type descriptor (`{"kind":"u32"}`,
/// `{"kind":"list","element":…}`).
public struct TypedSlot: Sendable, Hashable {
    public var name: String
    public var type: JSON
}

/// One function's signature from `wasm_schema`.
public struct FunctionSchema: Sendable, Hashable {
    public var name: String
    public var params: [TypedSlot]
    public var results: [TypedSlot]
    public var docs: String?

    /// Parses one entry of the `functions` array.
    public init(json: JSON) throws {
        guard let name = json["name"]?.stringValue else { throw EnclaveClientError.malformedResponse("schema function lacks 'name'") }
        self.name = name
        params = try Self.slots(json["params"], what: "params of \(name)")
        results = try Self.slots(json["results"] ?? .array([]), what: "results of \(name)")
        docs = json["description"]?.stringValue
    }

    private static func slots(_ json: JSON?, what: String) throws -> [TypedSlot] {
        guard let items = json?.arrayValue else { throw EnclaveClientError.malformedResponse("schema lacks \(what)") }
        return try items.enumerated().map { index, item in
            guard let type = item["type"] else { throw EnclaveClientError.malformedResponse("\(what) #\(index) lacks 'type'") }
            return TypedSlot(name: item["name"]?.stringValue ?? "", type: type)
        }
    }
}

/// An app's full signature from `wasm_schema`.
public struct AppSchema: Sendable, Hashable {
    public var app: String
    /// Every export: root functions by name, interface functions as `<interface>/<function>`.
    public var functions: [FunctionSchema]

    /// Parses a `{"status":"schema","schema":{"name","functions"?,"interfaces"?}}` document.
    public init(json: JSON) throws {
        guard let schema = json["schema"], schema.objectValue != nil else {
            throw EnclaveClientError.malformedResponse("schema response lacks 'schema'")
        }
        app = schema["name"]?.stringValue ?? ""
        var functions = try (schema["functions"]?.arrayValue ?? []).map(FunctionSchema.init(json:))
        for interface in schema["interfaces"]?.arrayValue ?? [] {
            guard let name = interface["name"]?.stringValue else { throw EnclaveClientError.malformedResponse("schema interface lacks 'name'") }
            for function in try (interface["functions"]?.arrayValue ?? []).map(FunctionSchema.init(json:)) {
                var qualified = function
                qualified.name = "\(name)/\(function.name)"
                functions.append(qualified)
            }
        }
        self.functions = functions
    }

    /// The function named `name`, if exported.
    public func function(named name: String) -> FunctionSchema? {
        functions.first { $0.name == name }
    }
}

extension AppSummary {
    /// The protocol's app object for this summary (what `wasm_load` answered).
    public var info: AppInfo {
        AppInfo(name: name, hostname: hostname, codeHash: codeHash, keySource: keySource,
                exports: exports.map { ExportSummary(name: $0.name, paramCount: $0.paramCount, resultCount: $0.resultCount) })
    }
}
