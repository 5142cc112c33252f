import Components
import EnclaveProtocol

/// WIT types and function signatures as the original's type descriptors, for `wasm_schema` and
/// for clients that build calls: every type is an object with a `kind` (`{"kind":"u32"}`,
/// `{"kind":"list","element":…}`, `{"kind":"enum","names":[…]}`); named types add `name`.
enum WITTypeSchema {
    /// `{"name","params":[{"name","type"}],"results":[…],"description"?}`.
    static func function(_ function: ExportedFunction, name: String? = nil) -> JSON {
        var object = JSONObject(["name": .string(name ?? function.name)])
        object.append("params", .array(function.type.params.map { slot($0.name, $0.type) }))
        object.append("results", .array(function.type.results.map { slot($0.name, $0.type) }))
        if let docs = function.docs { object.append("description", .string(docs)) }
        return .object(object)
    }

    private static func slot(_ name: String, _ type: WITType) -> JSON {
        .object(["name": .string(name), "type": self.type(type)])
    }

    static func type(_ type: WITType) -> JSON {
        switch type {
        case .bool, .s8, .u8, .s16, .u16, .s32, .u32, .s64, .u64, .f32, .f64, .char, .string:
            return .object(["kind": .string(type.description)])
        case .list(let element): return named(nil, ["kind": "list", "element": self.type(element)])
        case .record(let name, let fields):
            return named(name, ["kind": "record", "fields": .array(fields.map { slot($0.name, $0.type) })])
        case .tuple(let elements): return named(nil, ["kind": "tuple", "elements": .array(elements.map(self.type))])
        case .variant(let name, let cases):
            return named(name, ["kind": "variant", "cases": .array(cases.map { c in
                var object = JSONObject(["name": .string(c.name)])
                if let payload = c.type { object.append("type", self.type(payload)) }
                return .object(object)
            })])
        case .enum(let name, let cases): return named(name, ["kind": "enum", "names": .array(cases.map(JSON.string))])
        case .option(let inner): return named(nil, ["kind": "option", "inner": self.type(inner)])
        case .result(let ok, let err):
            var object = JSONObject(["kind": "result"])
            if let ok { object.append("ok", self.type(ok)) }
            if let err { object.append("err", self.type(err)) }
            return .object(object)
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
