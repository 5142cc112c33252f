import Components
import EnclaveProtocol
import SealedStore

/// One stored app that is not served after a restart, and why.
public struct SkippedApp: Sendable, Equatable {
    /// The app's name.
    public let name: String
    /// Its TLS hostname, still reserved for it.
    public let hostname: String
    /// Its code hash, so an operator can tell which upload it was.
    public let codeHash: String
    /// Why it did not load (the component error, or the store's), or why it is quarantined.
    public let reason: String
    /// Set when the app is quarantined rather than broken: it was running when the server
    /// stopped abnormally, so it is not run again until an operator reloads or unloads it.
    public let quarantine: AppQuarantine?

    init(name: String, hostname: String, codeHash: String, reason: String, quarantine: AppQuarantine? = nil) {
        self.name = name
        self.hostname = hostname
        self.codeHash = codeHash
        self.reason = reason
        self.quarantine = quarantine
    }

    /// The app as `wasm_list` shows it under `unavailable`.
    var unavailable: UnavailableApp {
        UnavailableApp(name: name, codeHash: codeHash, state: quarantine == nil ? .notRestored : .quarantined,
                       reason: reason, since: quarantine?.since)
    }
}

/// Brings the apps persisted in the sealed store back into the registry when the server starts
/// (docs/sdk.md, sealed store: "a restart is invisible to clients").
///
/// Each component is validated again with `Component.load`, because this build may be stricter
/// than the one that accepted it. An app that no longer loads is logged loudly and skipped, but
/// kept in the store: deleting it would destroy a generated key, and with it the app's data,
/// over what may be a bug in this build. Unloading it by name removes it for good.
struct AppRestorer {
    let configuration: ServerConfiguration
    let runtime: AppRuntime

    /// A restorer loading apps through `runtime` (by default the one `configuration` describes).
    init(configuration: ServerConfiguration, runtime: AppRuntime? = nil) {
        self.configuration = configuration
        self.runtime = runtime ?? AppRuntime(configuration)
    }

    /// The apps to serve again, and the ones that could not be.
    struct Outcome {
        var restored: [LoadedApp] = []
        var skipped: [SkippedApp] = []
    }

    /// Reads and re-validates every stored app, except the quarantined ones.
    /// - Parameters:
    ///   - ledger: records each app's trial instantiation as running guest code, so a crash
    ///     during it quarantines that app on the next start (nil: no data directory).
    ///   - crashed: the apps the previous process was running when it stopped abnormally
    ///     (`InFlightLedger.open`'s leftovers); each is quarantined now, durably.
    /// - Throws: `PersistenceError.restoreFailed` when the records cannot be read at all
    ///   (tampered, or sealed under another sealing key): starting empty would hide that.
    func restore(from store: SealedStore, registry: AppRegistry, ledger: InFlightLedger? = nil,
                 crashed: Set<InFlightLedger.Mark> = []) throws -> Outcome {
        let records: [AppRecord]
        do {
            records = try store.loadApps()
        } catch {
            throw PersistenceError.restoreFailed(path: configuration.dataDirectory ?? "(memory)", reason: "\(error)")
        }
        var outcome = Outcome()
        for stored in records {
            let mark = InFlightLedger.Mark(appName: stored.name, codeHash: stored.codeHash)
            let record = quarantineIfCrashed(stored, crashed: crashed.contains(mark), store: store)
            if let quarantine = record.quarantine {
                outcome.skipped.append(SkippedApp(name: record.name, hostname: record.hostname, codeHash: record.codeHash,
                                                  reason: quarantine.reason, quarantine: quarantine))
                configuration.logWarning("app '\(LogText.field(record.name))' (code_hash \(record.codeHash)) is QUARANTINED and not served: "
                    + "\(quarantine.reason). Its key and data are kept; load the same code under the same name "
                    + #"to serve it again, load other code with "replace": true to upgrade it, or wasm_unload '"#
                    + "\(LogText.field(record.name))'")
                continue
            }
            do {
                let app = try ledger.running(mark) { try restore(record, store: store, registry: registry, ledger: ledger) }
                outcome.restored.append(app)
            } catch {
                let reason = Self.describe(error)
                outcome.skipped.append(SkippedApp(name: record.name, hostname: record.hostname, codeHash: record.codeHash, reason: reason))
                configuration.logError("stored app '\(LogText.field(record.name))' (code_hash \(record.codeHash)) no longer loads "
                    + "and is NOT being served: \(LogText.field(reason, maxBytes: 1024)). It stays in the data directory with its key; "
                    + #"load a version that loads with "replace": true to serve it again, or wasm_unload '"#
                    + "\(LogText.field(record.name))' to delete it")
            }
        }
        configuration.log("restored \(outcome.restored.count) of \(records.count) stored app(s)"
            + (outcome.skipped.isEmpty ? "" : "; \(outcome.skipped.count) not served (see above)"))
        return outcome
    }

    /// The reason recorded for an app that was running when the server stopped abnormally.
    static let crashReason = "the server stopped abnormally (crashed or was killed) while this app was running"

    /// `record`, quarantined (and saved so, so that the quarantine outlives later clean
    /// restarts) when it was running at the previous process's abnormal end.
    private func quarantineIfCrashed(_ record: AppRecord, crashed: Bool, store: SealedStore) -> AppRecord {
        guard crashed, record.quarantine == nil else { return record }
        var quarantined = record
        quarantined.quarantine = AppQuarantine(reason: Self.crashReason)
        if configuration.cluster != nil {
            // A node's crash may be the node's own (killed, out of memory): the other nodes keep
            // serving the app, and this node does until the app is reloaded or replaced anywhere.
            configuration.log("cluster: the quarantine of app '\(record.name)' applies to this node only")
            return quarantined
        }
        do {
            try store.saveApp(quarantined)
        } catch {
            // Still quarantined for this run; the next start sees the crash record again only
            // if this run crashes too, so the quarantine is not durable: say so.
            configuration.logError("cannot save the quarantine of app '\(LogText.field(record.name))': \(error); "
                + "it is quarantined until this server stops")
        }
        return quarantined
    }

    /// Validates and instantiates `record`, changed through another node of a cluster, recorded
    /// in the in-flight record like a restore at start.
    func restoreFromCluster(_ record: AppRecord, store: SealedStore, registry: AppRegistry) throws -> LoadedApp {
        let ledger = registry.ledger
        return try ledger.running(InFlightLedger.Mark(appName: record.name, codeHash: record.codeHash)) {
            try restore(record, store: store, registry: registry, ledger: ledger)
        }
    }

    private func restore(_ record: AppRecord, store: SealedStore, registry: AppRegistry, ledger: InFlightLedger?) throws -> LoadedApp {
        let kv = try store.kv(for: record)
        let sdk = try registry.sdkApp(for: record, kv: kv, store: store)
        let component = try runtime.load(record.code, app: record.name, kv: kv, sdk: sdk,
                                         options: configuration.loadOptions(for: record.limits))
        guard !component.exports.isEmpty else {
            throw RestoreError.noExports(record.name)
        }
        if let maxFuel = record.limits.maxFuel, maxFuel > configuration.maxFuelCap {
            configuration.log("app '\(record.name)': its max_fuel \(maxFuel) exceeds --max-fuel-cap; "
                + "its calls run with \(configuration.maxFuelCap) fuel")
        }
        return LoadedApp(record: record, component: component,
                         limits: configuration.executionLimits(for: record.limits), kv: kv, sdk: sdk, ledger: ledger)
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
    /// in its record, so it holds after a restart) up to `maxFuelCap`, the server's defaults
    /// otherwise; the server's time limit.
    func executionLimits(for limits: AppLimits) -> ExecutionLimits {
        ExecutionLimits(fuel: min(limits.maxFuel ?? defaultFuel, maxFuelCap), maxMemoryBytes: maxMemoryBytes,
                        timeLimit: callTimeLimit)
    }

    /// Why a load's `max_fuel` is refused, or nil when it is within `maxFuelCap`.
    func fuelRefusal(_ maxFuel: UInt64?) -> String? {
        guard let maxFuel, maxFuel > maxFuelCap else { return nil }
        return "max_fuel \(maxFuel) exceeds this server's cap of \(maxFuelCap) fuel per call (--max-fuel-cap)"
    }

    /// How an app's component is prepared: its own `fresh_instances` choice or the server's,
    /// and its trial instantiation under the limits its calls get.
    func loadOptions(for limits: AppLimits) -> LoadOptions {
        LoadOptions(reuseInstances: !(limits.freshInstances ?? freshInstances), trialLimits: executionLimits(for: limits))
    }
}
