import Components
import Crypto
import EnclaveProtocol
import HostInterfaces
import SealedStore

extension ManagementService {
    /// `wasm_load` (and the commit of a streamed load): a new app, an upgrade (`replace`), or
    /// the reload that lifts a quarantine.
    func load(_ request: LoadRequest, by actor: Actor = Actor(operatorName: nil)) -> ManagementResponse {
        guard request.bytes.count <= configuration.uploadLimits.maxComponentBytes else {
            return .error(UploadError.tooLarge(size: request.bytes.count, limit: configuration.uploadLimits.maxComponentBytes,
                                               field: "wasm_load.bytes").description)
        }
        if let refusal = configuration.fuelRefusal(request.maxFuel) { return .error(refusal) }
        if request.replace { return replace(request, by: actor) }
        return loadNew(request, by: actor)
    }

    /// A new app: validates the key, the names and the component, persists the app, then
    /// registers it. Checks run cheapest first, so a bad key or a taken name costs no component
    /// parsing; the response says `loaded` only once the app's record is committed.
    func loadNew(_ request: LoadRequest, by actor: Actor) -> ManagementResponse {
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
            return reinstate(request, quarantined: quarantined, by: actor)
        }
        if let problem = AppNaming.problem(withName: request.name) { return .error(problem) }
        let hostname: String
        switch AppNaming.hostname(request.hostname, name: request.name) {
        case .success(let valid): hostname = valid
        case .failure(let refusal): return .error(refusal.message)
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
        func discardTrialWrites() { if key.isGenerated { try? trialKV?.removeAll() } }
        let component: Component
        switch parseComponent(request.bytes, app: request.name, kv: trialKV, sdk: trialSDK(request), limits: limits) {
        case .success(let parsed): component = parsed
        case .failure(let refusal):
            discardTrialWrites()
            return .error(refusal.message)
        }
        guard !component.exports.isEmpty else {
            discardTrialWrites()
            return .error(Self.noExports(request.name))
        }
        let record = AppRecord(name: request.name, hostname: hostname, code: request.bytes, key: key, limits: limits,
                               appAuthDigest: Self.appAuthDigest(request.appAuth, keeping: nil))
        do {
            let app = try registry.load(record, component: component, limits: configuration.executionLimits(for: record.limits),
                                        maxApps: configuration.resourceLimits.maxApps)
            audit(actor, app: app.name, "loaded app '\(LogText.field(app.name))' (code_hash \(app.codeHash), hostname "
                + "'\(LogText.field(app.hostname))'\(record.appAuthDigest == nil ? "" : ", app_auth required"))")
            return .loaded(app.info)
        } catch {
            // Another connection loaded the same name while we were parsing, a limit was
            // reached, or the store refused the commit: either way the app is not loaded.
            discardTrialWrites()
            return .error(error.description)
        }
    }

    /// What the SDK knows of an app during its trial instantiation: sealing works in
    /// constructors at load; attestation extensions wait for the app.
    func trialSDK(_ request: LoadRequest) -> EnclaveApp? {
        try? registry.store.map { store in
            EnclaveApp(name: request.name, codeHash: Array(SHA256.hash(data: request.bytes)),
                       sealingRoot: try store.sealingKeyProvider.sealingKey())
        }
    }

    /// The `app_auth` digest a record keeps: a new token's, none for `""`, else `stored`.
    static func appAuthDigest(_ requested: String?, keeping stored: String?) -> String? {
        guard let requested else { return stored }
        return requested.isEmpty ? nil : AppCallCredential(token: requested).hex
    }

    /// The compat text for a component without exports.
    static func noExports(_ name: String) -> String {
        "app '\(name)' has no exported functions — is it a valid Component?"
    }

    /// `wasm_load` under the name of a quarantined app: an operator re-trusting the same code.
    /// The stored key, hostname, limits and data are kept; different code is refused unless
    /// sent as an upgrade (`replace`).
    private func reinstate(_ request: LoadRequest, quarantined: SkippedApp, by actor: Actor) -> ManagementResponse {
        guard AppRecord.codeHash(of: request.bytes) == quarantined.codeHash else {
            return .error("app '\(request.name)' is quarantined (\(quarantined.reason)); load the same code "
                + "(code_hash \(quarantined.codeHash)) to serve it again, load other code with \"replace\": true to upgrade "
                + "it (keeps its key and data), or wasm_unload it")
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
            audit(actor, app: app.name, "app '\(LogText.field(app.name))' (code_hash \(app.codeHash)): quarantine lifted by a reload; served again")
            return .loaded(app.info)
        } catch {
            return .error(error.description)
        }
    }

    /// Parses and validates app `name`'s upload against the server's imports, its trial
    /// instantiation running over `kv` and `sdk` under `limits`; a refusal is the
    /// `invalid component: …` text clients see.
    func parseComponent(_ bytes: [UInt8], app name: String, kv: SealedKV?, sdk: EnclaveApp?,
                        limits: AppLimits) -> Result<Component, ManagementError> {
        do {
            return .success(try runtime.load(bytes, app: name, kv: kv, sdk: sdk, options: configuration.loadOptions(for: limits)))
        } catch let error as ComponentError {
            return .failure(ManagementError("invalid component: \(error.description)"))
        } catch {
            return .failure(ManagementError("invalid component: \(error)"))
        }
    }
}
