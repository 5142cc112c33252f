import Components
import EnclaveProtocol

/// `connect_call` parameters: a JSON object of parameter name → plain value (`{"a":2,"b":40}`),
/// converted in signature order against each parameter's WIT type. A missing `option`
/// parameter is none; any other missing parameter, and any name the function does not take,
/// is an error that shows the signature.
enum NamedArguments {
    static func decode(_ body: JSON, for function: ExportedFunction) throws(TypedValueError) -> [ComponentValue] {
        let object = body.objectValue ?? JSONObject(pairs: [])
        let params = function.type.params
        if let unknown = object.keys.first(where: { key in !params.contains { $0.name == key } }) {
            throw TypedValueError("'\(function.name)' has no parameter '\(unknown)'; it takes (\(signature(of: function)))")
        }
        var values: [ComponentValue] = []
        values.reserveCapacity(params.count)
        for param in params {
            let path = "parameter '\(param.name)'"
            guard let item = object[param.name] else {
                if case .option = param.type {
                    values.append(.option(nil))
                    continue
                }
                throw TypedValueError("missing \(path) (\(param.type)); '\(function.name)' takes (\(signature(of: function)))")
            }
            values.append(try TypedValueDecoder.decodeNested(item, as: param.type, at: path))
        }
        return values
    }

    private static func signature(of function: ExportedFunction) -> String {
        function.type.params.map { "\($0.name): \($0.type)" }.joined(separator: ", ")
    }
}
