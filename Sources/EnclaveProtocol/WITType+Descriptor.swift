/// The schema's type descriptors, the original's shape: every type is an object with a `kind`
/// (`{"kind":"u32"}`, `{"kind":"list","element":…}`, `{"kind":"enum","names":[…]}`), named types
/// add `name` right after `kind`. The server writes them with ``WITType/descriptor``; a client
/// reads them back with ``WITType/init(descriptor:)``, so both sides share one definition.
extension WITType {
    /// Deepest nesting accepted from a descriptor (a hostile peer cannot exhaust the stack).
    public static let maxDescriptorDepth = 100

    /// The type's descriptor, as `wasm_schema` and the app schema document carry it.
    public var descriptor: JSON {
        switch self {
        case .bool, .s8, .u8, .s16, .u16, .s32, .u32, .s64, .u64, .f32, .f64, .char, .string:
            return .object(["kind": .string(description)])
        case .list(let element): return Self.named(nil, ["kind": "list", "element": element.descriptor])
        case .record(let name, let fields):
            return Self.named(name, ["kind": "record", "fields": .array(fields.map { Self.slot($0.name, $0.type) })])
        case .tuple(let elements): return Self.named(nil, ["kind": "tuple", "elements": .array(elements.map(\.descriptor))])
        case .variant(let name, let cases):
            return Self.named(name, ["kind": "variant", "cases": .array(cases.map { c in
                var object = JSONObject(["name": .string(c.name)])
                if let payload = c.type { object.append("type", payload.descriptor) }
                return .object(object)
            })])
        case .enum(let name, let cases): return Self.named(name, ["kind": "enum", "names": .array(cases.map(JSON.string))])
        case .option(let inner): return Self.named(nil, ["kind": "option", "inner": inner.descriptor])
        case .result(let ok, let err):
            var object = JSONObject(["kind": "result"])
            if let ok { object.append("ok", ok.descriptor) }
            if let err { object.append("err", err.descriptor) }
            return .object(object)
        case .flags(let name, let names): return Self.named(name, ["kind": "flags", "names": .array(names.map(JSON.string))])
        case .own(let resource): return Self.named(nil, ["kind": "own", "resource": .string(resource)])
        case .borrow(let resource): return Self.named(nil, ["kind": "borrow", "resource": .string(resource)])
        }
    }

    /// `{"name","type"}`: a parameter, a result or a record field.
    public static func slot(_ name: String, _ type: WITType) -> JSON {
        .object(["name": .string(name), "type": type.descriptor])
    }

    /// An object with `kind` first and `name` second when the type has one.
    private static func named(_ name: String?, _ pairs: KeyValuePairs<String, JSON>) -> JSON {
        var object = JSONObject(pairs)
        if let name { object.pairs.insert(.init(key: "name", value: .string(name)), at: 1) }
        return .object(object)
    }

    /// Reads a descriptor. Also accepts a scalar as a bare string (`"u32"`) and an enum's cases
    /// under `cases` (the older shape); a handle without a `resource` is named `?`.
    /// - Throws: ``WITDescriptorError`` naming what is wrong and quoting the descriptor.
    public init(descriptor json: JSON) throws(WITDescriptorError) {
        try self.init(descriptor: json, depth: 0)
    }

    private init(descriptor json: JSON, depth: Int) throws(WITDescriptorError) {
        guard depth < Self.maxDescriptorDepth else {
            throw WITDescriptorError("schema type nested deeper than \(Self.maxDescriptorDepth)")
        }
        let reader = DescriptorReader(json: json, depth: depth)
        if let primitive = json.stringValue {
            guard let type = Self.primitives[primitive] else { throw reader.fail("is unknown") }
            self = type
            return
        }
        let name = json["name"]?.stringValue
        switch json["kind"]?.stringValue {
        case "list": self = .list(try reader.child(json["element"]))
        case "option": self = .option(try reader.child(json["inner"]))
        case "result": self = .result(ok: try reader.optionalChild(json["ok"]), err: try reader.optionalChild(json["err"]))
        case "tuple": self = .tuple(try reader.items("elements").map { item throws(WITDescriptorError) in try reader.child(item) })
        case "record":
            self = .record(name: name, fields: try reader.items("fields").map { field throws(WITDescriptorError) in
                guard let fieldName = field["name"]?.stringValue else { throw reader.fail("has a field without a name") }
                return Field(name: fieldName, type: try reader.child(field["type"]))
            })
        case "variant":
            self = .variant(name: name, cases: try reader.items("cases").map { item throws(WITDescriptorError) in
                guard let caseName = item["name"]?.stringValue else { throw reader.fail("has a case without a name") }
                return Case(name: caseName, type: try reader.optionalChild(item["type"]))
            })
        case "enum": self = .enum(name: name, cases: try reader.names(json["names"] != nil ? "names" : "cases"))
        case "flags": self = .flags(name: name, names: try reader.names("names"))
        case "own": self = .own(resource: json["resource"]?.stringValue ?? "?")
        case "borrow": self = .borrow(resource: json["resource"]?.stringValue ?? "?")
        case let kind?:
            // A scalar as a descriptor, `{"kind":"u32"}` (the schema's shape).
            guard let primitive = Self.primitives[kind] else { throw reader.fail("has an unknown kind") }
            self = primitive
        default: throw reader.fail("has an unknown kind")
        }
    }

    private static let primitives: [String: WITType] = [
        "bool": .bool, "s8": .s8, "u8": .u8, "s16": .s16, "u16": .u16, "s32": .s32, "u32": .u32,
        "s64": .s64, "u64": .u64, "f32": .f32, "f64": .f64, "char": .char, "string": .string,
    ]

    /// The members of one descriptor object, read with its nesting depth.
    private struct DescriptorReader {
        let json: JSON
        let depth: Int

        func fail(_ what: String) -> WITDescriptorError {
            WITDescriptorError("schema type \(what): \(json.serializedString.prefix(200))")
        }

        func child(_ value: JSON?) throws(WITDescriptorError) -> WITType {
            guard let value else { throw fail("lacks a member") }
            return try WITType(descriptor: value, depth: depth + 1)
        }

        func optionalChild(_ value: JSON?) throws(WITDescriptorError) -> WITType? {
            guard let value, !value.isNull else { return nil }
            return try child(value)
        }

        func items(_ key: String) throws(WITDescriptorError) -> [JSON] {
            guard let items = json[key]?.arrayValue else { throw fail("lacks '\(key)'") }
            return items
        }

        func names(_ key: String) throws(WITDescriptorError) -> [String] {
            try items(key).map { item throws(WITDescriptorError) in
                guard let name = item.stringValue else { throw fail("has a non-string in '\(key)'") }
                return name
            }
        }
    }
}

/// A type descriptor that cannot be read; `description` names the problem.
public struct WITDescriptorError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension WITType {
    /// The tag a typed value of this type carries (`{"type":TAG,"value":…}`; `list<u8>` is
    /// `bytes`, compat).
    public var tag: String {
        switch self {
        case .bool, .s8, .u8, .s16, .u16, .s32, .u32, .s64, .u64, .f32, .f64, .char, .string:
            return description
        case .list(.u8): return "bytes"
        case .list: return "list"
        case .record: return "record"
        case .tuple: return "tuple"
        case .variant: return "variant"
        case .enum: return "enum"
        case .option: return "option"
        case .result: return "result"
        case .flags: return "flags"
        case .own: return "own"
        case .borrow: return "borrow"
        }
    }

    /// The type's name when it is a named WIT type (records, variants, enums, flags).
    public var name: String? {
        switch self {
        case .record(let name, _), .variant(let name, _), .enum(let name, _), .flags(let name, _): return name
        default: return nil
        }
    }
}
