import Components
import EnclaveProtocol

/// Function signatures as the original's schema entries, for `wasm_schema` and for clients that
/// build calls; the types in them are the protocol's type descriptors (``WITType/descriptor``).
enum WITTypeSchema {
    /// `{"name","params":[{"name","type"}],"results":[…],"description"?}`.
    static func function(_ function: ExportedFunction, name: String? = nil) -> JSON {
        var object = JSONObject(["name": .string(name ?? function.name)])
        object.append("params", .array(function.type.params.map { WITType.slot($0.name, $0.type) }))
        object.append("results", .array(function.type.results.map { WITType.slot($0.name, $0.type) }))
        if let docs = function.docs { object.append("description", .string(docs)) }
        return .object(object)
    }
}
