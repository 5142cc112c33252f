import Components
import EnclaveProtocol

/// Exports as MCP tools: one tool per exported function, its `inputSchema` a JSON Schema object
/// of the named parameters derived from the WIT types (the original's mapping), so that the
/// arguments an MCP client sends are exactly what `connect_call` accepts.
enum MCPToolManifest {
    /// `{"name": app, "tools": [{"name","description"?,"inputSchema"}]}` (`mcp_tools`).
    static func manifest(of app: LoadedApp) -> JSON {
        let tools = app.component.exports.sorted { $0.name < $1.name }.map { tool($0, name: $0.name) }
        return .object(["name": .string(app.name), "tools": .array(tools)])
    }

    /// One tool; `name` is what the client calls it by.
    static func tool(_ function: ExportedFunction, name: String) -> JSON {
        var object = JSONObject(["name": .string(name)])
        if let docs = function.docs { object.append("description", .string(docs)) }
        object.append("inputSchema", inputSchema(function))
        return .object(object)
    }

    /// `{"type":"object","properties":{…},"required":[…]}`; an `option` parameter is optional.
    static func inputSchema(_ function: ExportedFunction) -> JSON {
        var properties = JSONObject(pairs: [])
        var required: [JSON] = []
        for param in function.type.params {
            properties.append(param.name, schema(param.type))
            if case .option = param.type {} else { required.append(.string(param.name)) }
        }
        return .object(["type": "object", "properties": .object(properties), "required": .array(required)])
    }

    /// The JSON Schema of one WIT type, in the value forms the server decodes.
    static func schema(_ type: WITType) -> JSON {
        switch type {
        case .bool: return .object(["type": "boolean"])
        case .s8, .u8, .s16, .u16, .s32, .u32, .s64, .u64: return .object(["type": "integer"])
        case .f32, .f64: return .object(["type": "number"])
        case .char, .string: return .object(["type": "string"])
        case .list(let element): return .object(["type": "array", "items": schema(element)])
        case .option(let inner): return .object(["anyOf": .array([schema(inner), .object(["type": "null"])])])
        case .result(let ok, let err):
            var properties = JSONObject(pairs: [])
            if let ok { properties.append("ok", schema(ok)) }
            if let err { properties.append("err", schema(err)) }
            return .object(["type": "object", "properties": .object(properties)])
        case .record(_, let fields):
            var properties = JSONObject(pairs: [])
            for field in fields { properties.append(field.name, schema(field.type)) }
            return .object(["type": "object", "properties": .object(properties),
                            "required": .array(fields.map { .string($0.name) })])
        case .tuple(let elements):
            return .object(["type": "array", "prefixItems": .array(elements.map(schema)), "items": .bool(false)])
        case .enum(_, let cases): return .object(["type": "string", "enum": .array(cases.map(JSON.string))])
        case .variant(_, let cases):
            return .object(["oneOf": .array(cases.map { c in
                var properties = JSONObject(["tag": .object(["const": .string(c.name)])])
                var required: [JSON] = ["tag"]
                if let payload = c.type {
                    properties.append("value", schema(payload))
                    required.append("value")
                }
                return .object(["type": "object", "properties": .object(properties), "required": .array(required)])
            })])
        case .flags(_, let names):
            return .object(["type": "array", "items": .object(["type": "string", "enum": .array(names.map(JSON.string))]),
                            "uniqueItems": .bool(true)])
        case .own, .borrow:
            // Resources never cross the wire by value: no JSON value satisfies this.
            return .object(["not": .object([:])])
        }
    }
}
