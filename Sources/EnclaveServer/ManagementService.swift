import Components
import Crypto
import EnclaveProtocol
import HostInterfaces
import Logging
import SealedStore

/// Answers the management messages of docs/protocol.md §3 against the registry.
///
/// Everything here may block (component validation, argument conversion), so it runs on the
/// executor's threads; a `wasm_call` is split in two: `prepareCall` (cheap checks, then
/// `AppRuntime.prepare`) and `AppRuntime.run` (the call itself, on a call thread).
struct ManagementService: Sendable {
    let registry: AppRegistry
    let configuration: ServerConfiguration
    /// Loads components and prepares and runs calls; built once per server.
    let runtime: AppRuntime
    /// Streamed loads in progress (`wasm_load_begin` … `wasm_load_commit`).
    let uploads: UploadService
    /// Who may load, replace and unload.
    let authorization: ManagementAuthorization
    /// Where loads and calls are counted.
    let metrics: ServerMetrics
    /// Where load, replace, unload and refused calls are logged.
    let logger: Logger

    /// A service over `registry`; `runtime` defaults to the one `configuration` describes
    /// (counting calls in `metrics`),
    /// `uploads` to an empty store with the configuration's limits, `authorization` to open
    /// management.
    init(registry: AppRegistry, configuration: ServerConfiguration, runtime: AppRuntime? = nil, uploads: UploadStore? = nil,
         authorization: ManagementAuthorization = ManagementAuthorization(operators: OperatorCredentials()),
         metrics: ServerMetrics = ServerMetrics()) {
        self.registry = registry
        self.configuration = configuration
        self.runtime = runtime ?? AppRuntime(configuration, metrics: metrics)
        self.uploads = UploadService(store: uploads ?? UploadStore(limits: configuration.uploadLimits), registry: registry,
                                     configuration: configuration)
        self.authorization = authorization
        self.metrics = metrics
        self.logger = configuration.logger
    }

    /// What a management message turns into: a finished response, or a call still to run.
    enum Step: Sendable {
        case respond(ManagementResponse)
        case call(AppCall)
    }

    /// Handles a decoded message up to the point where a call must execute, after deciding
    /// whether `credential` (the operator token sent with it) allows what it asks. `origin`
    /// (the connection and request it came by) goes into the log lines of its outcome.
    func handle(_ request: ManagementRequest, credential: String? = nil, origin: RequestOrigin = .none) -> Step {
        let action = ManagementAction(request)
        let actor: Actor
        switch authorization.decide(action, credential: credential) {
        case .allowed(let name):
            actor = Actor(operatorName: name, origin: origin)
        case .refused(let refusal):
            let message = ManagementAuthorization.message(refusal, action: action,
                                                          howToSend: ManagementAuthorization.howToSendInFrames)
            logger.notice("refused: \(LogText.field(message, maxBytes: 1024))", metadata: origin.metadata)
            return .respond(.error(message))
        }
        switch request {
        case .load(let load):
            return .respond(countedLoad(load, by: actor))
        case .upload(let message):
            return .respond(uploads.handle(message, startedBy: actor) { load, uploader in
                self.countedLoad(load, by: Actor(operatorName: uploader.operatorName, origin: origin))
            })
        case .call(let call):
            return callStep(prepareCall(call, origin: origin), app: call.app, function: call.function, origin: origin)
        case .list:
            return .respond(.apps(registry.all().map(\.info), unavailable: registry.unavailable))
        case .unload(let name):
            do {
                guard try registry.unload(named: name) else {
                    audit(actor, app: name, "unload of app '\(LogText.field(name))' refused: not loaded")
                    return .respond(.notFound(name))
                }
                metrics.unload()
                audit(actor, app: name, "unloaded app '\(LogText.field(name))'")
                return .respond(.unloaded(name))
            } catch {
                audit(actor, app: name, "unload of app '\(LogText.field(name))' failed: \(LogText.field(error.description, maxBytes: 1024))",
                      level: .notice)
                return .respond(.error(error.description))
            }
        case .schema(let app):
            guard let loaded = registry.app(named: app) else { return .respond(.error(Self.unknownApp(app))) }
            return .respond(.schema(AppSchemaDocument.schema(of: loaded)))
        case .connectCall(let call):
            return callStep(prepareConnectCall(call, origin: origin), app: call.app, function: call.function, origin: origin)
        case .mcpTools(let hint):
            switch registry.resolve(hint) {
            case .success(let app): return .respond(.mcpTools(MCPToolManifest.manifest(of: app)))
            case .failure(let refusal): return .respond(.error(refusal.message))
            }
        }
    }

    /// `load`, counted in the metrics; a refusal is logged here (a success by `audit`).
    private func countedLoad(_ request: LoadRequest, by actor: Actor) -> ManagementResponse {
        let response = load(request, by: actor)
        if case .loaded = response {
            metrics.load(succeeded: true, bytes: request.bytes.count)
        } else {
            metrics.load(succeeded: false, bytes: request.bytes.count)
            if case .error(let reason) = response {
                audit(actor, app: request.name, "load of app '\(LogText.field(request.name))' refused: "
                    + LogText.field(reason, maxBytes: 1024))
            }
        }
        return response
    }

    /// A call refused before it ran: counted, and logged at `info`.
    /// A prepared call to run, or its refusal answered (counted and logged as a request error).
    private func callStep(_ prepared: Result<AppCall, ManagementError>, app: String, function: String,
                          origin: RequestOrigin) -> Step {
        let refusal: ManagementError
        switch prepared {
        case .success(let call): return .call(call)
        case .failure(let why): refusal = why
        }
        metrics.callRefused()
        logger.info("call refused: \(LogText.field(refusal.message, maxBytes: 1024))", metadata: {
            var fields = origin.metadata
            fields["app"] = "\(LogText.field(app))"
            fields["function"] = "\(LogText.field(function))"
            fields["error_kind"] = "\(CallErrorKind.request.rawValue)"
            return fields
        }())
        return .respond(.error(refusal.message))
    }

    /// `wasm_call` up to execution: finds the app and export, checks the caller's `app_auth`,
    /// converts the typed arguments.
    func prepareCall(_ request: CallRequest, origin: RequestOrigin = .none) -> Result<AppCall, ManagementError> {
        prepare(app: request.app, function: request.function, appAuth: request.appAuth, origin: origin) {
            function throws(TypedValueError) in try TypedValueCodec.decodeArguments(request.params, for: function)
        }
    }

    /// Who asked for a management change (an operator by name, or nobody: open management),
    /// by which connection and request, and when the server began to handle it.
    struct Actor: Sendable {
        let operatorName: String?
        var origin = RequestOrigin.none
        var started = ContinuousClock.now
    }

    /// One line in the log for every outcome of a change to the set of apps: who did what, with
    /// the app, the operator, the connection and request, and how long it took as metadata.
    func audit(_ actor: Actor, app: String, _ what: String, level: Logger.Level = .info) {
        let who = actor.operatorName.map { "operator '\($0)'" } ?? "open management (no operator credentials)"
        let elapsed = ContinuousClock.now - actor.started
        var fields = actor.origin.metadata
        fields["app"] = "\(LogText.field(app))"
        if let name = actor.operatorName { fields["operator"] = "\(LogText.field(name))" }
        fields["duration_ms"] = .stringConvertible(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        logger.log(level: level, "\(who): \(what)", metadata: fields)
    }

    /// `connect_call` up to execution: the same app and export checks as `wasm_call`, then the
    /// named parameters typed from the signature.
    func prepareConnectCall(_ request: ConnectCallRequest, origin: RequestOrigin = .none) -> Result<AppCall, ManagementError> {
        prepare(app: request.app, function: request.function, appAuth: request.appAuth, origin: origin) {
            function throws(TypedValueError) in try NamedArguments.decode(request.body, for: function)
        }
    }

    /// What both call messages check before execution, in this order: the app and export, the
    /// caller's `app_auth`, then the arguments (`decode`: typed values or named parameters).
    private func prepare(app name: String, function functionName: String, appAuth: String?, origin: RequestOrigin,
                         decode: (ExportedFunction) throws(TypedValueError) -> [ComponentValue]) -> Result<AppCall, ManagementError> {
        let app: LoadedApp, function: ExportedFunction
        switch findExport(app: name, function: functionName) {
        case .success(let found): (app, function) = found
        case .failure(let refusal): return .failure(refusal)
        }
        if let refusal = AppCallCredential.refusal(app: app, presented: appAuth) {
            return .failure(ManagementError(refusal))
        }
        do throws(TypedValueError) {
            return .success(runtime.prepare(app, function, try decode(function), origin: origin))
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
