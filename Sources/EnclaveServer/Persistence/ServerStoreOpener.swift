import Foundation
import SealedStore

/// Opens the server's sealed store as the configuration says, and tells the operator what it
/// opened: where the SQLite file is, and whether the sealing key is SIMULATED.
enum ServerStoreOpener {
    /// A store in `configuration.dataDirectory` (created 0700 if missing), or an in-memory one
    /// when the configuration names no directory.
    /// - Throws: `PersistenceError.dataDirectory` or `.storeUnavailable`, naming the path.
    static func open(_ configuration: ServerConfiguration) throws -> SealedStore {
        let log = configuration.log
        guard let directory = configuration.dataDirectory else {
            log("storage: in memory only (no data directory); loaded apps and their data are lost when the server stops")
            do {
                return try SealedStore(backend: InMemoryBackend(), sealingKeyProvider: EphemeralSealingKey(),
                                       limits: storeLimits(configuration), quotaReport: quotaReport(configuration))
            } catch {
                throw PersistenceError.storeUnavailable(path: "(memory)", reason: "\(error)")
            }
        }
        if let warning = try ServerDataDirectory.prepare(directory) {
            configuration.logWarning(warning)
        }
        let store: SealedStore
        do {
            store = try SealedStore.open(dataDirectory: directory, limits: storeLimits(configuration), exclusive: true,
                                         quotaReport: quotaReport(configuration))
        } catch {
            throw PersistenceError.storeUnavailable(path: directory, reason: "\(error)")
        }
        let shown = URL(fileURLWithPath: directory).standardizedFileURL.path
        log("storage: \(shown)/\(SealedStore.databaseFileName) (sealed SQLite store)")
        let provider = store.sealingKeyProvider
        if provider.isSimulated {
            // Said loudly on every start: the key file sits next to the data it seals, so it
            // protects nothing against whoever can read the data directory.
            let kind = provider.kind == "simulated" ? "" : " (\(provider.kind))"
            log("sealing key: SIMULATED\(kind) — a key file in \(shown), not bound to any TEE; "
                + "stored apps and keys are only as safe as that directory")
        } else {
            log("sealing key: \(provider.kind)")
        }
        return store
    }

    /// The store's per-app caps, with the configuration's quota.
    static func storeLimits(_ configuration: ServerConfiguration) -> SealedKVLimits {
        var limits = SealedKVLimits.default
        limits.maxStoredBytes = configuration.resourceLimits.maxAppStorageBytes
        limits.maxEntries = configuration.resourceLimits.maxAppEntries
        return limits
    }

    /// One log line per reported quota refusal, naming the app.
    static func quotaReport(_ configuration: ServerConfiguration) -> @Sendable (QuotaRefusal) -> Void {
        let log = configuration.log
        return { refusal in
            log("storage quota: app '\(LogText.field(refusal.appName))': \(refusal.count) write(s) refused since the "
                + "last report: \(refusal.detail)")
        }
    }

    /// The in-flight record of the data directory (none for an in-memory store), and the apps
    /// the previous process was running when it stopped abnormally. Call after `open`, which
    /// holds the directory's lock.
    /// - Throws: `PersistenceError.storeUnavailable` naming the file.
    static func openInFlightLedger(_ configuration: ServerConfiguration) throws -> (ledger: InFlightLedger?, crashed: Set<InFlightLedger.Mark>) {
        guard let directory = configuration.dataDirectory else { return (nil, []) }
        do {
            let (ledger, crashed) = try InFlightLedger.open(directory: directory)
            if !crashed.isEmpty {
                configuration.logWarning("the previous run of this server stopped abnormally while \(crashed.count) "
                    + "guest execution(s) were in progress; the apps concerned are quarantined (see below)")
            }
            return (ledger, crashed)
        } catch {
            throw PersistenceError.storeUnavailable(path: directory, reason: "\(error)")
        }
    }

    /// Closes the SQLite file or database connections behind `store`, so another server in the
    /// same process (a restart in a test) or another process opens it cleanly.
    static func close(_ store: SealedStore) {
        store.backend.close()
    }
}
