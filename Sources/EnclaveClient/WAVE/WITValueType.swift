import EnclaveProtocol

/// A WIT value type, read from the JSON form `wasm_schema` answers with (`"u32"`, or an object
/// with a `kind`: `{"kind":"list","element":…}`, `{"kind":"record","name":"point","fields":[…]}`).
/// WAVE text is parsed and printed against it.
public indirect enum WITValueType: Sendable, Hashable {
    case bool, s8, u8, s16, u16, s32, u32, s64, u64, f32, f64, char, string
    case list(WITValueType)
    case record(name: String?, fields: [Field])
    case tuple([WITValueType])
    case variant(name: String?, cases: [Case])
    case enumeration(name: String?, cases: [String])
    case option(WITValueType)
    case result(ok: WITValueType?, err: WITValueType?)
    case flags(name: String?, names: [String])
    /// `own<R>` or `borrow<R>`: never passed by value.
    case handle(kind: String, resource: String)

    /// A record field.
    public struct Field: Sendable, Hashable {
        public var name: String
        public var type: WITValueType
        public init(name: String, type: WITValueType) {
            self.name = name
            self.type = type
        }
    }

    /// A variant case, with its payload type if it has one.
    public struct Case: Sendable, Hashable {
        public var name: String
        public var type: WITValueType?
        public init(name: String, type: WITValueType?) {
            self.name = name
            self.type = type
        }
    }

    /// Deepest nesting accepted from a schema (a hostile server cannot exhaust the stack).
    public static let maxDepth = 100

    /// Reads a schema type.
    /// - Throws: ``EnclaveClientError/malformedResponse(_:)`` naming what is wrong.
    public init(schema json: JSON) throws {
        try self.init(schema: json, depth: 0)
    }

    private init(schema json: JSON, depth: Int) throws {
        guard depth < Self.maxDepth else { throw EnclaveClientError.malformedResponse("schema type nested deeper than \(Self.maxDepth)") }
        func fail(_ what: String) -> EnclaveClientError { .malformedResponse("schema type \(what): \(json.serializedString.prefix(200))") }
        func child(_ value: JSON?) throws -> WITValueType {
            guard let value else { throw fail("lacks a member") }
            return try WITValueType(schema: value, depth: depth + 1)
        }
        func optionalChild(_ value: JSON?) throws -> WITValueType? {
            guard let value, !value.isNull else { return nil }
            return try child(value)
        }
        func names(_ key: String) throws -> [String] {
            guard let items = json[key]?.arrayValue else { throw fail("lacks '\(key)'") }
            return try items.map { item in
                guard let name = item.stringValue else { throw fail("has a non-string in '\(key)'") }
                return name
            }
        }
        if let primitive = json.stringValue {
            guard let type = Self.primitives[primitive] else { throw fail("is unknown") }
            self = type
            return
        }
        let name = json["name"]?.stringValue
        switch json["kind"]?.stringValue {
        case "list": self = .list(try child(json["element"]))
        case "option": self = .option(try child(json["inner"]))
        case "result": self = .result(ok: try optionalChild(json["ok"]), err: try optionalChild(json["err"]))
        case "tuple":
            guard let elements = json["elements"]?.arrayValue else { throw fail("lacks 'elements'") }
            self = .tuple(try elements.map(child))
        case "record":
            guard let fields = json["fields"]?.arrayValue else { throw fail("lacks 'fields'") }
            self = .record(name: name, fields: try fields.map { field in
                guard let fieldName = field["name"]?.stringValue else { throw fail("has a field without a name") }
                return Field(name: fieldName, type: try child(field["type"]))
            })
        case "variant":
            guard let cases = json["cases"]?.arrayValue else { throw fail("lacks 'cases'") }
            self = .variant(name: name, cases: try cases.map { item in
                guard let caseName = item["name"]?.stringValue else { throw fail("has a case without a name") }
                return Case(name: caseName, type: try optionalChild(item["type"]))
            })
        // The schema's type descriptors name enum cases `names`; the older shape said `cases`.
        case "enum": self = .enumeration(name: name, cases: try names(json["names"] != nil ? "names" : "cases"))
        case "flags": self = .flags(name: name, names: try names("names"))
        case let kind? where kind == "own" || kind == "borrow":
            self = .handle(kind: kind, resource: json["resource"]?.stringValue ?? "?")
        case let kind?:
            // A scalar as a descriptor, `{"kind":"u32"}` (the schema's shape).
            guard let primitive = Self.primitives[kind] else { throw fail("has an unknown kind") }
            self = primitive
        default: throw fail("has an unknown kind")
        }
    }

    private static let primitives: [String: WITValueType] = [
        "bool": .bool, "s8": .s8, "u8": .u8, "s16": .s16, "u16": .u16, "s32": .s32, "u32": .u32,
        "s64": .s64, "u64": .u64, "f32": .f32, "f64": .f64, "char": .char, "string": .string,
    ]

    /// The tag of a typed value of this type (SPEC §4; `list<u8>` is `bytes`).
    public var tag: String {
        switch self {
        case .bool: return "bool"
        case .s8: return "s8"
        case .u8: return "u8"
        case .s16: return "s16"
        case .u16: return "u16"
        case .s32: return "s32"
        case .u32: return "u32"
        case .s64: return "s64"
        case .u64: return "u64"
        case .f32: return "f32"
        case .f64: return "f64"
        case .char: return "char"
        case .string: return "string"
        case .list(.u8): return "bytes"
        case .list: return "list"
        case .record: return "record"
        case .tuple: return "tuple"
        case .variant: return "variant"
        case .enumeration: return "enum"
        case .option: return "option"
        case .result: return "result"
        case .flags: return "flags"
        case .handle(let kind, _): return kind
        }
    }

    /// The type's name when it is a named WIT type (records, variants, enums, flags).
    public var name: String? {
        switch self {
        case .record(let name, _), .variant(let name, _), .enumeration(let name, _), .flags(let name, _): return name
        default: return nil
        }
    }
}
