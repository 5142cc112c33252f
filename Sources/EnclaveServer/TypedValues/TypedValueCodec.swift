import Components
import EnclaveProtocol

/// Converts between typed JSON values (`{"type":T,"value":V}`, docs/protocol.md §3, typed values) and component values,
/// always against the export's real WIT signature.
public enum TypedValueCodec {
    /// Checks and converts call parameters.
    /// - Throws: `TypedValueError` naming the parameter and its expected WIT type.
    public static func decodeArguments(_ params: [JSON], for function: ExportedFunction) throws(TypedValueError) -> [ComponentValue] {
        let expected = function.type.params
        guard params.count == expected.count else {
            let signature = expected.map { "\($0.name): \($0.type)" }.joined(separator: ", ")
            throw TypedValueError(
                "'\(function.name)' takes \(expected.count) parameter\(expected.count == 1 ? "" : "s") (\(signature)), got \(params.count)")
        }
        var values: [ComponentValue] = []
        values.reserveCapacity(params.count)
        for (index, (param, json)) in zip(expected, params).enumerated() {
            let path = "parameter \(index + 1) '\(param.name)'"
            values.append(try TypedValueDecoder.decodeTyped(json, as: param.type, at: path))
        }
        return values
    }

    /// Converts call results to typed JSON, tagged with their WIT types.
    public static func encodeResults(_ values: [ComponentValue], for function: ExportedFunction) -> [JSON] {
        zip(values, function.type.results).map { TypedValueEncoder.encodeTyped($0, as: $1.type) }
    }

    /// The `wasm_schema` description of one function.
    public static func schema(of function: ExportedFunction) -> JSON {
        WITTypeSchema.function(function)
    }
}

/// A parameter that does not match its WIT type; the description is the `call failed:` reason.
public struct TypedValueError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
