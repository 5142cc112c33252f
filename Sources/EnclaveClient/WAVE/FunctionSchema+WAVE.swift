import EnclaveProtocol

extension FunctionSchema {
    /// The parameter types, read from the schema.
    public func parameterTypes() throws -> [WITType] {
        try params.map { try WITType.received($0.type) }
    }

    /// The result types, read from the schema.
    public func resultTypes() throws -> [WITType] {
        try results.map { try WITType.received($0.type) }
    }

    /// `add: func(a: u32, b: u32) -> u32` (WIT syntax; several results as `-> (a: T, b: U)`).
    public func witSignature() throws -> String {
        let parameters = try zip(params, parameterTypes()).map { "\($0.name): \(WITTypeText.reference($1))" }
        let types = try resultTypes()
        let arrow: String
        switch results.count {
        case 0: arrow = ""
        case 1 where results[0].name.isEmpty: arrow = " -> \(WITTypeText.reference(types[0]))"
        default: arrow = " -> (" + zip(results, types).map { "\($0.name): \(WITTypeText.reference($1))" }.joined(separator: ", ") + ")"
        }
        return "\(name): func(\(parameters.joined(separator: ", ")))\(arrow)"
    }

    /// The call's results (typed values, one per result) as WAVE, one line each.
    public func waveResults(_ returns: [JSON]) throws -> [String] {
        let types = try resultTypes()
        guard returns.count == types.count else {
            throw EnclaveClientError.malformedResponse("\(name) returned \(returns.count) value(s), its signature has \(types.count)")
        }
        return try zip(returns, types).map { try WAVEEncoder.text($0, as: $1) }
    }
}

extension AppSchema {
    /// The definitions of every named type the exports use (`record point { x: s32, y: s32 }`).
    public func namedTypeDefinitions() throws -> [String] {
        let types = try functions.flatMap { try $0.parameterTypes() + $0.resultTypes() }
        return WITTypeText.namedDefinitions(types)
    }

    /// Parses a WAVE call `name(arg, …)` against this app's signatures.
    /// - Throws: ``EnclaveClientError/invalidArgument(_:)`` naming the problem and where.
    public func waveCall(_ text: String) throws -> (function: FunctionSchema, arguments: [JSON]) {
        var chosen: FunctionSchema?
        do {
            let (_, arguments) = try WAVEDecoder.call(text) { name in
                guard let function = self.function(named: name) else {
                    let available = functions.map(\.name).sorted().joined(separator: ", ")
                    throw EnclaveClientError.requestFailed("app '\(app)' has no export '\(name)'. Available: [\(available)]")
                }
                chosen = function
                return try function.parameterTypes()
            }
            guard let chosen else { throw EnclaveClientError.invalidArgument("no function named in '\(text)'") }
            return (chosen, arguments)
        } catch let error as WAVEError {
            throw EnclaveClientError.invalidArgument("\(text): \(error)")
        }
    }
}

extension WITType {
    /// Reads a type descriptor a server sent (`wasm_schema`, the app schema document).
    /// - Throws: ``EnclaveClientError/malformedResponse(_:)`` naming what is wrong.
    static func received(_ descriptor: JSON) throws(EnclaveClientError) -> WITType {
        do {
            return try WITType(descriptor: descriptor)
        } catch {
            throw .malformedResponse(error.description)
        }
    }
}
