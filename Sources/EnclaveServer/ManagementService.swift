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
    /// Where loads and calls are counted.
    let metrics: ServerMetrics

    /// A service over `registry`; `host` defaults to the one `configuration` describes,
    /// `uploads` to an empty store with the configuration's limits.
    init(registry: AppRegistry, configuration: ServerConfiguration, host: AppHost? = nil, uploads: UploadStore? = nil,
         metrics: ServerMetrics = ServerMetrics()) {
        self.registry = registry
        self.configuration = configuration
        self.host = host ?? AppHost(configuration)
        self.uploads = UploadService(store: uploads ?? UploadStore(limits: configuration.uploadLimits), registry: registry)
        self.metrics = metrics
    }

    /// What a management message turns into: a finished response, or a call still to run.
    enum Step: Sendable {
        case respond(ManagementResponse)
        case call(PreparedCall)
    }

    /// Handles a decoded message up to the point where a call must execute.
    func handle(_ request: ManagementRequest) -> Step {
        switch request {
        case .load(let load):
            return .respond(countedLoad(load))
        case .upload(let message):
            return .respond(uploads.handle(message, load: countedLoad))
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
                return .respond(try registry.unload(named: name) ? .unloaded(name) : .notFound(name))
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
    private func countedLoad(_ request: LoadRequest) -> ManagementResponse {
        let response = load(request)
        if case .loaded = response {
            metrics.load(succeeded: true, bytes: request.bytes.count)
        } else {
            metrics.load(succeeded: false, bytes: request.bytes.count)
        }
        return response
    }

    /// `wasm_load`: validates the key, the name and the component, persists the app, then
    /// registers it. Checks run cheapest first, so a bad key or a taken name costs no component
    /// parsing; the response says `loaded` only once the app's record is committed.
    func load(_ request: LoadRequest) -> ManagementResponse {
        guard request.bytes.count <= configuration.uploadLimits.maxComponentBytes else {
            return .error(UploadError.tooLarge(size: request.bytes.count, limit: configuration.uploadLimits.maxComponentBytes,
                                               field: "wasm_load.bytes").description)
        }
        let key: AppKey
        if let hex = request.encryptionKey {
            do {
                key = try AppKey.fromHex(hex)
            } catch {
                // SealedStoreError's texts for bad keys are the compat ones.
                return .error("\(error)")
            }
        } else {
            key = .generate()
        }
        if registry.contains(request.name) {
            return .error(RegistryError.alreadyLoaded(request.name).description)
        }
        if let quarantined = registry.skipped(named: request.name), quarantined.quarantine != nil {
            return reinstate(request, quarantined: quarantined)
        }
        // Only an explicit max_fuel (or fresh_instances) is stored: apps without one follow the
        // server's default, even when a later start changes it.
        let limits = AppLimits(maxFuel: request.maxFuel, freshInstances: request.freshInstances)
        // The trial instantiation's constructors see the app's store (data under a BYOK key
        // included); what they write under a generated key is deleted if the load then fails.
        let trialKV: SealedKV?
        do {
            trialKV = try registry.store?.detachedKV(appName: request.name, key: key)
        } catch {
            return .error("cannot open the sealed store of app '\(request.name)': \(error)")
        }
        defer { trialKV?.close() }
        // Sealing works in constructors at load; attestation extensions wait for the app.
        let trialSDK = try? registry.store.map { store in
            EnclaveApp(name: request.name, codeHash: Array(SHA256.hash(data: request.bytes)),
                       sealingRoot: try store.sealingKeyProvider.sealingKey())
        }
        func discardTrialWrites() { if key.isGenerated { try? trialKV?.removeAll() } }
        let component: Component
        switch parseComponent(request.bytes, app: request.name, kv: trialKV, sdk: trialSDK, limits: limits) {
        case .success(let parsed): component = parsed
        case .failure(let refusal):
            discardTrialWrites()
            return .error(refusal.message)
        }
        guard !component.exports.isEmpty else {
            discardTrialWrites()
            return .error("app '\(request.name)' has no exported functions — is it a valid Component?")
        }
        let record = AppRecord(name: request.name, hostname: request.hostname, code: request.bytes, key: key,
                               limits: limits)
        do {
            let app = try registry.load(record, component: component,
                                        limits: configuration.executionLimits(for: record.limits))
            return .loaded(app.info)
        } catch {
            // Another connection loaded the same name while we were parsing, or the store
            // refused the commit: either way the app is not loaded.
            discardTrialWrites()
            return .error(error.description)
        }
    }

    /// `wasm_load` under the name of a quarantined app: an operator re-trusting the same code.
    /// The stored key, hostname, limits and data are kept; different code is refused (that
    /// would be an upgrade, not a reload).
    private func reinstate(_ request: LoadRequest, quarantined: SkippedApp) -> ManagementResponse {
        guard AppRecord.codeHash(of: request.bytes) == quarantined.codeHash else {
            return .error("app '\(request.name)' is quarantined (\(quarantined.reason)); load the same code "
                + "(code_hash \(quarantined.codeHash)) to serve it again, or wasm_unload it first to load other code")
        }
        let keySource: String?
        do {
            keySource = try request.encryptionKey.map { try AppKey.fromHex($0).keySource }
        } catch {
            return .error("\(error)")
        }
        // The trial instantiation runs over the stored app's own store, as a restore would.
        let stored: AppRecord
        let kv: SealedKV
        let sdk: EnclaveApp
        do {
            guard let store = registry.store, let record = try store.app(named: request.name) else {
                return .error(RegistryError.notQuarantined(request.name).description)
            }
            stored = record
            kv = try store.kv(for: record)
            sdk = try registry.sdkApp(for: record, kv: kv, store: store)
        } catch {
            return .error("cannot open the sealed store of app '\(request.name)': \(error)")
        }
        let component: Component
        switch parseComponent(request.bytes, app: request.name, kv: kv, sdk: sdk, limits: stored.limits) {
        case .success(let parsed): component = parsed
        case .failure(let refusal): return .error(refusal.message)
        }
        let requested = AppRegistry.Reinstatement(keySource: keySource, hostname: request.hostname, maxFuel: request.maxFuel)
        do {
            let app = try registry.reinstate(request.name, as: requested, component: component,
                                             limits: configuration.executionLimits(for:))
            configuration.log("app '\(app.name)' (code_hash \(app.codeHash)): quarantine lifted by a reload; served again")
            return .loaded(app.info)
        } catch {
            return .error(error.description)
        }
    }

    /// Parses and validates app `name`'s upload against the server's imports, its trial
    /// instantiation running over `kv` and `sdk` under `limits`; a refusal is the
    /// `invalid component: …` text clients see.
    private func parseComponent(_ bytes: [UInt8], app name: String, kv: SealedKV?, sdk: EnclaveApp?,
                                limits: AppLimits) -> Result<Component, ManagementError> {
        do {
            return .success(try host.load(bytes, app: name, kv: kv, sdk: sdk,
                                          options: configuration.loadOptions(for: limits), log: configuration.log))
        } catch let error as ComponentError {
            return .failure(ManagementError("invalid component: \(error.description)"))
        } catch {
            return .failure(ManagementError("invalid component: \(error)"))
        }
    }

    /// `wasm_call` up to execution: finds the app and export, converts the typed arguments.
    func prepareCall(_ request: CallRequest) -> Result<PreparedCall, ManagementError> {
        let app: LoadedApp, function: ExportedFunction
        switch findExport(app: request.app, function: request.function) {
        case .success(let found): (app, function) = found
        case .failure(let refusal): return .failure(refusal)
        }
        do throws(TypedValueError) {
            let arguments = try TypedValueCodec.decodeArguments(request.params, for: function)
            return .success(PreparedCall(app: app, function: function, arguments: arguments, log: configuration.log,
                                         resultMemoryLimit: configuration.maxResultMemoryBytes, metrics: metrics))
        } catch {
            return .failure(ManagementError("call failed: \(error.description)"))
        }
    }

    /// `connect_call` up to execution: the same app and export checks as `wasm_call`, then the
    /// named parameters typed from the signature.
    func prepareConnectCall(_ request: ConnectCallRequest) -> Result<PreparedCall, ManagementError> {
        let app: LoadedApp, function: ExportedFunction
        switch findExport(app: request.app, function: request.function) {
        case .success(let found): (app, function) = found
        case .failure(let refusal): return .failure(refusal)
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

    /// Calls the export in a fresh instance and converts the results to typed JSON.
    /// Never throws: every failure is a `call failed: <reason>` response.
    func run() -> ManagementResponse {
        let started = ContinuousClock.now
        let response = execute()
        if let metrics {
            let elapsed = ContinuousClock.now - started
            let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
            var kind: CallErrorKind?
            if case .error(let message) = response { kind = CallErrorKind(message: message) }
            metrics.call(app: app.name, nanoseconds: nanoseconds, error: kind)
        }
        return response
    }

    private func execute() -> ManagementResponse {
        do {
            let results = try AppHost.call(app, function, arguments, log: log)
            if let refusal = ResultFootprint.refusal(results, limit: resultMemoryLimit) { return .error(refusal) }
            return .ok(returns: TypedValueCodec.encodeResults(results, for: function))
        } catch let error as ComponentError {
            return .error("call failed: \(error.description)")
        } catch {
            return .error("call failed: \(error)")
        }
    }
}
