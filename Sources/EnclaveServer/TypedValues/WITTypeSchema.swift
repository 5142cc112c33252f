import Components
import EnclaveProtocol

/// WIT types and function signatures as JSON, for `wasm_schema` and for clients that build
/// calls: primitives as their name (`"u32"`), compound types as objects with a `kind`.
enum WITTypeSchema {
    static func function(_ function: ExportedFunction) -> JSON {
        var object = JSONObject(["name": .string(function.name)])
        object.append("params", .array(function.type.params.map { .object(["name": .string($0.name), "type": type($0.type)]) }))
        object.append("results", .array(function.type.results.map { .object(["name": .string($0.name), "type": type($0.type)]) }))
        if let docs = function.docs { object.append("docs", .string(docs)) }
        return .object(object)
    }

    static func type(_ type: WITType) -> JSON {
        switch type {
        case .bool, .s8, .u8, .s16, .u16, .s32, .u32, .s64, .u64, .f32, .f64, .char, .string:
            return .string(type.description)
        case .list(let element): return named(nil, ["kind": "list", "element": self.type(element)])
        case .record(let name, let fields):
            return named(name, ["kind": "record", "fields": .array(fields.map { .object(["name": .string($0.name), "type": self.type($0.type)]) })])
        case .tuple(let elements): return named(nil, ["kind": "tuple", "elements": .array(elements.map(self.type))])
        case .variant(let name, let cases):
            return named(name, ["kind": "variant", "cases": .array(cases.map { c in
                .object(["name": .string(c.name), "type": c.type.map(self.type) ?? .null])
            })])
        case .enum(let name, let cases): return named(name, ["kind": "enum", "cases": .array(cases.map(JSON.string))])
        case .option(let inner): return named(nil, ["kind": "option", "inner": self.type(inner)])
        case .result(let ok, let err):
            return named(nil, ["kind": "result", "ok": ok.map(self.type) ?? .null, "err": err.map(self.type) ?? .null])
        case .flags(let name, let names): return named(name, ["kind": "flags", "names": .array(names.map(JSON.string))])
        case .own(let resource): return named(nil, ["kind": "own", "resource": .string(resource)])
        case .borrow(let resource): return named(nil, ["kind": "borrow", "resource": .string(resource)])
        }
    }

    /// An object with `kind` first and `name` second when the type has one.
    private static func named(_ name: String?, _ pairs: KeyValuePairs<String, JSON>) -> JSON {
        var object = JSONObject(pairs)
        if let name { object.pairs.insert(.init(key: "name", value: .string(name)), at: 1) }
        return .object(object)
    }
}
