/// A component-level value type, as WIT describes it.
///
/// This is the one model of WIT types in EnclaveOS, on both sides of the wire: the component
/// binary parser produces it, the canonical ABI lifts and lowers by it, the server converts typed
/// JSON against it and writes it as the schema's type descriptors (``descriptor``), and a client
/// reads those descriptors back into it (``init(descriptor:)``) to type WAVE and arguments.
public indirect enum WITType: Sendable, Hashable {
    case bool
    case s8, u8, s16, u16, s32, u32, s64, u64
    case f32, f64
    case char
    case string
    case list(WITType)
    case record(name: String?, fields: [Field])
    case tuple([WITType])
    case variant(name: String?, cases: [Case])
    case `enum`(name: String?, cases: [String])
    case option(WITType)
    case result(ok: WITType?, err: WITType?)
    case flags(name: String?, names: [String])
    /// An owned handle to a resource; `resource` names the resource type.
    case own(resource: String)
    /// A borrowed handle to a resource.
    case borrow(resource: String)

    /// A named field of a record.
    public struct Field: Sendable, Hashable {
        public var name: String
        public var type: WITType
        public init(name: String, type: WITType) {
            self.name = name
            self.type = type
        }
    }

    /// A case of a variant; `type` is nil for a case without a payload.
    public struct Case: Sendable, Hashable {
        public var name: String
        public var type: WITType?
        public init(name: String, type: WITType?) {
            self.name = name
            self.type = type
        }
    }
}

extension WITType: CustomStringConvertible {
    /// The type spelled as WIT spells it, e.g. `list<tuple<string, u32>>`; used in error messages.
    public var description: String {
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
        case .list(let element): return "list<\(element)>"
        case .record(let name, let fields):
            return name ?? "record { \(fields.map { "\($0.name): \($0.type)" }.joined(separator: ", ")) }"
        case .tuple(let elements): return "tuple<\(elements.map(\.description).joined(separator: ", "))>"
        case .variant(let name, let cases):
            return name ?? "variant { \(cases.map { c in c.type.map { t in "\(c.name)(\(t))" } ?? c.name }.joined(separator: ", ")) }"
        case .enum(let name, let cases): return name ?? "enum { \(cases.joined(separator: ", ")) }"
        case .option(let inner): return "option<\(inner)>"
        case .result(let ok, let err):
            switch (ok, err) {
            case (nil, nil): return "result"
            case (let ok?, nil): return "result<\(ok)>"
            case (nil, let err?): return "result<_, \(err)>"
            case (let ok?, let err?): return "result<\(ok), \(err)>"
            }
        case .flags(let name, let names): return name ?? "flags { \(names.joined(separator: ", ")) }"
        case .own(let resource): return "own<\(resource)>"
        case .borrow(let resource): return "borrow<\(resource)>"
        }
    }
}

/// A named parameter of a component function.
public struct WITParameter: Sendable, Hashable {
    public var name: String
    public var type: WITType
    public init(name: String, type: WITType) {
        self.name = name
        self.type = type
    }
}

/// The signature of a component-level function: named parameters and results.
///
/// The component model allows either one unnamed result or a list of named results; both are
/// kept as a list here, unnamed results with an empty name.
public struct WITFunctionType: Sendable, Hashable, CustomStringConvertible {
    public var params: [WITParameter]
    public var results: [WITParameter]
    public init(params: [WITParameter], results: [WITParameter]) {
        self.params = params
        self.results = results
    }

    /// WIT syntax, e.g. `func(url: string) -> result<string, string>`.
    public var description: String {
        let parameters = params.map { "\($0.name): \($0.type)" }.joined(separator: ", ")
        switch results.count {
        case 0: return "func(\(parameters))"
        case 1 where results[0].name.isEmpty: return "func(\(parameters)) -> \(results[0].type)"
        default: return "func(\(parameters)) -> (\(results.map { "\($0.name): \($0.type)" }.joined(separator: ", ")))"
        }
    }
}
