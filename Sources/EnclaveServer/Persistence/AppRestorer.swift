import Components
import HostInterfaces
import SealedStore

/// One stored app that could not be served after a restart, and why.
public struct SkippedApp: Sendable, Equatable {
    /// The app's name.
    public let name: String
    /// Its code hash, so an operator can tell which upload it was.
    public let codeHash: String
    /// Why it did not load (the component error, or the store's).
    public let reason: String
}

/// Brings the apps persisted in the sealed store back into the registry when the server starts
/// (SPEC §7: "a restart is invisible to clients").
///
/// Each component is validated again with `Component.load`, because this build may be stricter
/// than the one that accepted it. An app that no longer loads is logged loudly and skipped, but
/// kept in the store: deleting it would destroy a generated key, and with it the app's data,
/// over what may be a bug in this build. Unloading it by name removes it for good.
struct AppRestorer {
    let configuration: ServerConfiguration
    let host: AppHost

    /// A restorer linking apps against `host` (by default the one `configuration` describes).
    init(configuration: ServerConfiguration, host: AppHost? = nil) {
        self.configuration = configuration
        self.host = host ?? AppHost(configuration)
    }

    /// The apps to serve again, and the ones that could not be.
    struct Outcome {
        var restored: [LoadedApp] = []
        var skipped: [SkippedApp] = []
    }

    /// Reads and re-validates every stored app.
    /// - Throws: `PersistenceError.restoreFailed` when the records cannot be read at all
    ///   (tampered, or sealed under another sealing key): starting empty would hide that.
    func restore(from store: SealedStore, registry: AppRegistry) throws -> Outcome {
        let records: [AppRecord]
        do {
            records = try store.loadApps()
        } catch {
            throw PersistenceError.restoreFailed(path: configuration.dataDirectory ?? "(memory)", reason: "\(error)")
        }
        var outcome = Outcome()
        for record in records {
            do {
                outcome.restored.append(try restore(record, store: store, registry: registry))
            } catch {
                let reason = Self.describe(error)
                outcome.skipped.append(SkippedApp(name: record.name, codeHash: record.codeHash, reason: reason))
                configuration.log("ERROR: stored app '\(record.name)' (code_hash \(record.codeHash)) no longer loads "
                    + "and is NOT being served: \(reason). It stays in the data directory with its key; "
                    + "wasm_unload '\(record.name)' deletes it")
            }
        }
        configuration.log("restored \(outcome.restored.count) of \(records.count) stored app(s)"
            + (outcome.skipped.isEmpty ? "" : "; \(outcome.skipped.count) skipped (see above)"))
        return outcome
    }

    private func restore(_ record: AppRecord, store: SealedStore, registry: AppRegistry) throws -> LoadedApp {
        let kv = try store.kv(for: record)
        let sdk = try registry.sdkApp(for: record, kv: kv, store: store)
        let component = try host.load(record.code, app: record.name, kv: kv, sdk: sdk,
                                      options: configuration.loadOptions(for: record.limits), log: configuration.log)
        guard !component.exports.isEmpty else {
            throw RestoreError.noExports(record.name)
        }
        return LoadedApp(record: record, component: component,
                         limits: configuration.executionLimits(for: record.limits), kv: kv, sdk: sdk)
    }

    private static func describe(_ error: Error) -> String {
        if let error = error as? ComponentError { return "invalid component: \(error.description)" }
        return "\(error)"
    }

    private enum RestoreError: Error, CustomStringConvertible {
        case noExports(String)
        var description: String { "app '\(name)' has no exported functions" }
        private var name: String { switch self { case .noExports(let name): return name } }
    }
}

extension ServerConfiguration {
    /// The limits a call of an app runs under: its own `max_fuel` if it set one at load (kept
    /// in its record, so it holds after a restart), the server's defaults otherwise.
    func executionLimits(for limits: AppLimits) -> ExecutionLimits {
        ExecutionLimits(fuel: limits.maxFuel ?? defaultFuel, maxMemoryBytes: maxMemoryBytes)
    }

    /// How an app's component is prepared: its own `fresh_instances` choice or the server's,
    /// and its trial instantiation under the limits its calls get.
    func loadOptions(for limits: AppLimits) -> LoadOptions {
        LoadOptions(reuseInstances: !(limits.freshInstances ?? freshInstances), trialLimits: executionLimits(for: limits))
    }
}
