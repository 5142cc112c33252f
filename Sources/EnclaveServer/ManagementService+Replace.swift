import Components
import EnclaveProtocol
import HostInterfaces
import SealedStore

extension ManagementService {
    /// `wasm_load` with `"replace": true`: a new version of app `request.name` that keeps its key
    /// and sealed data. The new code is validated completely — parsed, linked, instantiated once
    /// over the app's own store — before anything changes; then its record replaces the stored
    /// one and the served app is swapped in one step (calls in flight finish on the old code).
    /// A failure at any point leaves the old version serving. Fields left out keep their stored
    /// values (hostname, `max_fuel`, `fresh_instances`, `app_auth`); the key cannot change.
    /// A replace of an app that is quarantined or failed to restore serves the new version and
    /// lifts that state. A replace of an app that does not exist is an ordinary load.
    func replace(_ request: LoadRequest, by actor: Actor) -> ManagementResponse {
        guard let store = registry.store else { return .error(RegistryError.noStore.description) }
        let stored: AppRecord
        do {
            guard let record = try store.app(named: request.name) else { return loadNew(request, by: actor) }
            stored = record
        } catch {
            return .error("cannot read the stored app '\(request.name)': \(error)")
        }
        if let hex = request.encryptionKey {
            do {
                let keySource = try AppKey.fromHex(hex).keySource
                guard keySource == stored.keySource else {
                    return .error("wasm_load.encryption_key: a replace keeps the app's key (\(stored.keySource)); this key "
                        + "differs, so the stored data could not be read. Omit encryption_key, or wasm_unload the app first")
                }
            } catch {
                return .error("\(error)")
            }
        }
        let record: AppRecord
        switch upgradedRecord(stored, request) {
        case .success(let upgraded): record = upgraded
        case .failure(let refusal): return .error(refusal.message)
        }
        // The trial instantiation runs over the app's own store, as its calls will.
        let kv: SealedKV
        do {
            kv = try store.kv(for: stored)
        } catch {
            return .error("cannot open the sealed store of app '\(request.name)': \(error)")
        }
        let component: Component
        switch parseComponent(request.bytes, app: request.name, kv: kv, sdk: trialSDK(request), limits: record.limits) {
        case .success(let parsed): component = parsed
        case .failure(let refusal): return .error(refusal.message + "; app '\(request.name)' keeps serving code_hash \(stored.codeHash)")
        }
        guard !component.exports.isEmpty else { return .error(Self.noExports(request.name)) }
        do {
            let app = try registry.replace(record, storedCodeHash: stored.codeHash, component: component,
                                           limits: configuration.executionLimits(for: record.limits))
            let lifted = stored.quarantine != nil ? "; quarantine lifted" : ""
            audit(actor, app: app.name, "replaced app '\(LogText.field(app.name))': code_hash \(stored.codeHash) -> \(app.codeHash), "
                + "key and data kept\(lifted)")
            return .loaded(app.info)
        } catch {
            return .error(error.description)
        }
    }

    /// The record of the new version: the stored key and first-load time, the request's
    /// fields where given and the stored ones where not, no quarantine.
    private func upgradedRecord(_ stored: AppRecord, _ request: LoadRequest) -> Result<AppRecord, AppNaming.HostnameRefusal> {
        let hostname: String
        if let requested = request.hostname, requested != stored.hostname {
            switch AppNaming.hostname(requested, name: request.name) {
            case .success(let valid): hostname = valid
            case .failure(let refusal): return .failure(refusal)
            }
        } else {
            hostname = stored.hostname
        }
        var limits = stored.limits
        if let maxFuel = request.maxFuel { limits.maxFuel = maxFuel }
        if let fresh = request.freshInstances { limits.freshInstances = fresh }
        return .success(AppRecord(name: stored.name, hostname: hostname, code: request.bytes, key: stored.key, limits: limits,
                                  loadedAt: stored.loadedAt, quarantine: nil,
                                  appAuthDigest: Self.appAuthDigest(request.appAuth, keeping: stored.appAuthDigest)))
    }
}
