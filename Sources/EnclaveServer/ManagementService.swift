import Components
import Crypto
import EnclaveProtocol
import HostInterfaces
import SealedStore

/// Answers the management messages of SPEC §3 against the registry.
///
/// Everything here may block (component validation, argument conversion), so it runs on the
/// executor's threads; a `wasm_call` is split in two: `prepareCall` (cheap checks, on a request
/// thread) and `PreparedCall.run` (the call itself, on a call thread).
struct ManagementService: Sendable {
    let registry: AppRegistry
    let configuration: ServerConfiguration
    /// The imports apps are linked against; built once per server.
    let host: AppHost
    /// Streamed loads in progress (`wasm_load_begin` … `wasm_load_commit`).
    let uploads: UploadService
    /// Who may load, replace and unload.
    let authorization: ManagementAuthorization
    /// Where loads and calls are counted.
    let metrics: ServerMetrics

    /// A service over `registry`; `host` defaults to the one `configuration` describes,
    /// `uploads` to an empty store with the configuration's limits, `authorization` to open
    /// management.
    init(registry: AppRegistry, configuration: ServerConfiguration, host: AppHost? = nil, uploads: UploadStore? = nil,
         authorization: ManagementAuthorization = ManagementAuthorization(operators: OperatorCredentials()),
         metrics: ServerMetrics = ServerMetrics()) {
        self.registry = registry
        self.configuration = configuration
        self.host = host ?? AppHost(configuration)
        self.uploads = UploadService(store: uploads ?? UploadStore(limits: configuration.uploadLimits), registry: registry,
                                     configuration: configuration)
        self.authorization = authorization
        self.metrics = metrics
    }

    /// What a management message turns into: a finished response, or a call still to run.
    enum Step: Sendable {
        case respond(ManagementResponse)
        case call(PreparedCall)
    }

    /// Handles a decoded message up to the point where a call must execute, after deciding
    /// whether `credential` (the operator token sent with it) allows what it asks.
    func handle(_ request: ManagementRequest, credential: String? = nil) -> Step {
        let action = ManagementAction(request)
        let actor: Actor
        switch authorization.decide(action, credential: credential) {
        case .allowed(let name):
            actor = Actor(operatorName: name)
        case .refused(let refusal):
            return .respond(.error(ManagementAuthorization.message(refusal, action: action,
                                                                   howToSend: ManagementAuthorization.howToSendInFrames)))
        }
        switch request {
        case .load(let load):
            return .respond(countedLoad(load, by: actor))
        case .upload(let message):
            return .respond(uploads.handle(message, startedBy: actor) { self.countedLoad($0, by: $1) })
        case .call(let call):
            switch prepareCall(call) {
            case .success(let prepared): return .call(prepared)
            case .failure(let refusal):
                metrics.callRefused()
                return .respond(.error(refusal.message))
            }
        case .list:
            return .respond(.apps(registry.all().map(\.info), unavailable: registry.unavailable))
        case .unload(let name):
            do {
                guard try registry.unload(named: name) else { return .respond(.notFound(name)) }
                audit(actor, "unloaded app '\(LogText.field(name))'")
                return .respond(.unloaded(name))
            } catch {
                return .respond(.error(error.description))
            }
        case .schema(let app):
            guard let loaded = registry.app(named: app) else { return .respond(.error(Self.unknownApp(app))) }
            return .respond(.schema(AppSchemaDocument.schema(of: loaded)))
        case .connectCall(let call):
            switch prepareConnectCall(call) {
            case .success(let prepared): return .call(prepared)
            case .failure(let refusal):
                metrics.callRefused()
                return .respond(.error(refusal.message))
            }
        case .mcpTools(let hint):
            switch registry.resolve(hint) {
            case .success(let app): return .respond(.mcpTools(MCPToolManifest.manifest(of: app)))
            case .failure(let refusal): return .respond(.error(refusal.message))
            }
        }
    }

    /// `load`, counted in the metrics.
    private func countedLoad(_ request: LoadRequest, by actor: Actor) -> ManagementResponse {
        let response = load(request, by: actor)
        if case .loaded = response {
            metrics.load(succeeded: true, bytes: request.bytes.count)
        } else {
            metrics.load(succeeded: false, bytes: request.bytes.count)
        }
        return response
    }

    /// `wasm_call` up to execution: finds the app and export, checks the caller's `app_auth`,
    /// converts the typed arguments.
    func prepareCall(_ request: CallRequest) -> Result<PreparedCall, ManagementError> {
        let app: LoadedApp, function: ExportedFunction
        switch findExport(app: request.app, function: request.function) {
        case .success(let found): (app, function) = found
        case .failure(let refusal): return .failure(refusal)
        }
        if let refusal = AppCallCredential.refusal(app: app, presented: request.appAuth) {
            return .failure(ManagementError(refusal))
        }
        do throws(TypedValueError) {
            let arguments = try TypedValueCodec.decodeArguments(request.params, for: function)
            return .success(PreparedCall(app: app, function: function, arguments: arguments, log: configuration.log,
                                         resultMemoryLimit: configuration.maxResultMemoryBytes, metrics: metrics))
        } catch {
            return .failure(ManagementError("call failed: \(error.description)"))
        }
    }

    /// Who asked for a management change: an operator by name, or nobody (open management).
    struct Actor: Sendable {
        let operatorName: String?
    }

    /// One line in the log for every change to the set of apps: who did what.
    func audit(_ actor: Actor, _ what: String) {
        let who = actor.operatorName.map { "operator '\($0)'" } ?? "open management (no operator credentials)"
        configuration.log("\(who): \(what)")
    }

    /// `connect_call` up to execution: the same app and export checks as `wasm_call`, then the
    /// named parameters typed from the signature.
    func prepareConnectCall(_ request: ConnectCallRequest) -> Result<PreparedCall, ManagementError> {
        let app: LoadedApp, function: ExportedFunction
        switch findExport(app: request.app, function: request.function) {
        case .success(let found): (app, function) = found
        case .failure(let refusal): return .failure(refusal)
        }
        // A named-parameter call carries no app_auth: an app loaded with one refuses it.
        if let refusal = AppCallCredential.refusal(app: app, presented: nil) {
            return .failure(ManagementError(refusal))
        }
        do throws(TypedValueError) {
            let arguments = try NamedArguments.decode(request.body, for: function)
            return .success(PreparedCall(app: app, function: function, arguments: arguments, log: configuration.log,
                                         resultMemoryLimit: configuration.maxResultMemoryBytes, metrics: metrics))
        } catch {
            return .failure(ManagementError("call failed: \(error.description)"))
        }
    }

    /// The app and export a call names, or the compat refusal.
    func findExport(app name: String, function: String) -> Result<(LoadedApp, ExportedFunction), ManagementError> {
        guard let app = registry.app(named: name) else {
            if let skipped = registry.skipped(named: name) {
                return .failure(ManagementError(Self.notServed(skipped)))
            }
            return .failure(ManagementError(Self.unknownApp(name)))
        }
        guard let export = app.export(named: function) else {
            let available = app.exportNames.joined(separator: ", ")
            return .failure(ManagementError("app '\(name)' has no export '\(function)'. Available: [\(available)]"))
        }
        return .success((app, export))
    }

    /// The compat text for a call or schema request naming an app that is not loaded.
    static func unknownApp(_ name: String) -> String {
        "unknown app: '\(name)'"
    }

    /// A call to a stored app that is not served: why, and what an operator can do.
    static func notServed(_ app: SkippedApp) -> String {
        if app.quarantine != nil {
            return "call failed: app '\(app.name)' is quarantined: \(app.reason); an operator can load the same code "
                + "under the same name to serve it again, or wasm_unload it"
        }
        return "call failed: app '\(app.name)' is stored but not served: it failed to load when the server started "
            + "(\(app.reason)); wasm_unload it"
    }
}

/// A call whose app, export and arguments have been checked; `run` executes it (blocking).
struct PreparedCall: Sendable {
    let app: LoadedApp
    let function: ExportedFunction
    let arguments: [ComponentValue]
    /// Where the guest's stdout/stderr lines go, tagged with the app's name.
    let log: @Sendable (String) -> Void
    /// The host memory the results' typed JSON may take (see `ResultFootprint`).
    var resultMemoryLimit = Int.max
    /// Where the call is counted and timed.
    var metrics: ServerMetrics?

    /// Calls the export in a fresh instance and converts the results to typed JSON; `control`
    /// carries its time limit and lets the server stop it.
    /// Never throws: every failure is a `call failed: <reason>` response.
    func run(control: CallControl? = nil) -> ManagementResponse {
        let started = ContinuousClock.now
        let response = execute(control: control)
        if let metrics {
            let elapsed = ContinuousClock.now - started
            let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
            var kind: CallErrorKind?
            if case .error(let message) = response { kind = CallErrorKind(message: message) }
            metrics.call(app: app.name, nanoseconds: nanoseconds, error: kind)
        }
        return response
    }

    private func execute(control: CallControl?) -> ManagementResponse {
        do {
            let results = try AppHost.call(app, function, arguments, control: control, log: log)
            if let refusal = ResultFootprint.refusal(results, limit: resultMemoryLimit) { return .error(refusal) }
            return .ok(returns: TypedValueCodec.encodeResults(results, for: function))
        } catch let error as ComponentError {
            return .error("call failed: \(error.description)")
        } catch {
            return .error("call failed: \(error)")
        }
    }
}
