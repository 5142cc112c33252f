import ArgumentParser
import EnclaveClient
import EnclaveProtocol

/// `enclave call APP 'FUNC(ARGS…)'` or `enclave call APP FUNC [ARGS…]`
struct Call: SessionCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call an exported function; values in WAVE, as `wasmtime run --invoke` writes them.",
        discussion: """
            Write the call in WAVE, quoted for your shell: enclave call demo 'add(2, 40)', \
            enclave call demo 'echo-shape({x: 4, y: -1})', enclave call demo 'greet("world")'. \
            Or give the arguments as separate words, typed by the export's signature: a string \
            parameter takes the word as is (enclave call demo greet world), any other type reads \
            it as WAVE (42, [1, 2], {x: 4}, some(3), ok("x"), red). TYPE:VALUE (u32:42, \
            string:hi) chooses the type yourself and needs no schema. Results print in WAVE \
            (42, "Hello, world!", some(42), ok("x"), {x: 4}); --json prints the raw response.
            """
    )
    @Argument(help: "App name.") var app: String
    @Argument(help: "The call in WAVE, 'add(2, 40)', or an export name (add, my-interface/add) followed by its arguments.")
    var function: String
    @Argument(parsing: .allUnrecognized, help: "Arguments, typed by the signature, or TYPE:VALUE.") var arguments: [String] = []
    @OptionGroup var options: ConnectionOptions

    func execute(in session: Session, json: Bool) throws {
        let (schema, name, params) = try prepare(in: session)
        let response = try session.management(ManagementMessages.call(app: app, function: name, params: params), json: json)
        guard !json else { return }
        guard response["status"]?.stringValue == "ok", let returns = response["returns"]?.arrayValue else {
            throw EnclaveClientError.unexpectedResponse(expected: "status ok", got: response.serializedString)
        }
        // Without a schema (a server that has no wasm_schema), values print as the wire's JSON.
        let lines = try schema.map { try $0.waveResults(returns) } ?? returns.map(Output.value)
        lines.forEach { print($0) }
    }

    /// The signature (when known), the export name and the typed parameters.
    private func prepare(in session: Session) throws -> (FunctionSchema?, String, [JSON]) {
        if arguments.isEmpty, function.contains("(") {
            let (schema, params) = try session.schema(app: app).waveCall(function)
            return (schema, schema.name, params)
        }
        let schema = try signature(in: session)
        return (schema, function, try ArgumentTyping.typedParams(arguments, params: schema?.params))
    }

    /// The export's signature; nil when every argument is explicitly typed and the server
    /// cannot give one (e.g. a server without `wasm_schema`).
    private func signature(in session: Session) throws -> FunctionSchema? {
        let schema: AppSchema
        do {
            schema = try session.schema(app: app)
        } catch EnclaveClientError.requestFailed(_) where arguments.allSatisfy(ArgumentTyping.isExplicitlyTyped) {
            return nil
        }
        guard let function = schema.function(named: function) else {
            // Same wording as the server's error for an unknown export.
            let available = schema.functions.map(\.name).sorted().joined(separator: ", ")
            throw EnclaveClientError.requestFailed("app '\(app)' has no export '\(self.function)'. Available: [\(available)]")
        }
        return function
    }
}

/// `enclave schema APP`
struct Schema: SessionCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show an app's exports in WIT: the named types they use, then each signature."
    )
    @Argument(help: "App name.") var app: String
    @OptionGroup var options: ConnectionOptions

    func execute(in session: Session, json: Bool) throws {
        let response = try session.management(ManagementMessages.schema(app: app), json: json)
        guard !json else { return }
        let schema = try AppSchema(json: response)
        let definitions = try schema.namedTypeDefinitions()
        definitions.forEach { print($0) }
        if !definitions.isEmpty { print() }
        for function in schema.functions {
            if let docs = function.docs {
                for line in docs.split(separator: "\n", omittingEmptySubsequences: false) { print("/// \(line)") }
            }
            print(try function.witSignature())
        }
    }
}
