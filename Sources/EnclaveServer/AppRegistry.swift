import Components
import EnclaveProtocol
import Foundation
import HostInterfaces
import SealedStore

/// The set of loaded apps, by name, kept in step with the sealed store. Thread-safe:
/// connections load, call and unload concurrently.
///
/// The store is the source of truth across restarts: a load is persisted before the app becomes
/// visible (so a load the client saw as `loaded` survives a crash), and an unload removes the
/// stored record (destroying the key) before the app disappears. Loads and unloads are
/// serialised by one lock so the store and the map cannot disagree after two racing requests;
/// they are rare and cost one SQLite commit, while calls and lists only take the map's lock.
/// Component parsing happens before `load`, outside every lock.
public final class AppRegistry: Sendable {
    private let apps = Locked<[String: LoadedApp]>([:])
    private let observers = Locked<[@Sendable ([LoadedApp]) -> Void]>([])
    /// Told when an app changed what its certificate shows (a cluster node tells the others).
    private let stateChangeListener = Locked<StateChangeListener?>(nil)
    private let storage = Locked<Storage>(Storage())
    // Serialises load and unload (see the type's comment); never held while parsing or calling.
    private let mutationLock = NSLock()

    private struct Storage {
        var store: SealedStore?
        var skipped: [SkippedApp] = []
        var ledger: InFlightLedger?
    }

    /// An empty registry (the server starts with no apps). It gets its store when the server
    /// starts; until then, loads fail with `RegistryError.noStore`.
    public init() {}

    /// The sealed store behind the registry, once the server has started.
    public var store: SealedStore? {
        storage.withLock { $0.store }
    }

    /// Stored apps that failed to restore at the last start (logged then); they are not served
    /// but stay stored until unloaded.
    public var skippedAtStart: [SkippedApp] {
        storage.withLock { $0.skipped }
    }

    /// The record of which apps run guest code right now (nil without a data directory).
    var ledger: InFlightLedger? {
        storage.withLock { $0.ledger }
    }

    /// The stored app `name` if it is not served (quarantined, or not restored).
    func skipped(named name: String) -> SkippedApp? {
        storage.withLock { $0.skipped.first { $0.name == name } }
    }

    /// Stored apps that are not served, sorted by name, as `wasm_list` shows them.
    var unavailable: [UnavailableApp] {
        storage.withLock { $0.skipped.map(\.unavailable) }.sorted { $0.name < $1.name }
    }

    /// Whether an app of that name is loaded now.
    public func contains(_ name: String) -> Bool {
        apps.withLock { $0[name] != nil }
    }

    /// Persists `record` and then serves it: the app is visible only once its record is
    /// committed, so a load that fails to persist is never reported as loaded.
    /// - Parameters:
    ///   - record: what to persist (code, key, limits).
    ///   - component: `record.code`, already parsed and validated.
    ///   - limits: the limits its calls run under.
    /// - Returns: the loaded app.
    /// - Throws: `RegistryError.alreadyLoaded` (also when another request won a race),
    ///   `.storedButNotRestored`, `.noStore`, or `.persistence`.
    ///   - maxApps: the most apps stored at once (served or not); a load past it is refused.
    public func load(_ record: AppRecord, component: Component, limits: ExecutionLimits,
                     maxApps: Int = .max) throws(RegistryError) -> LoadedApp {
        guard let store else { throw .noStore }
        let app = try withMutationLock { () throws(RegistryError) -> LoadedApp in
            guard !contains(record.name) else { throw .alreadyLoaded(record.name) }
            if skipped(named: record.name) == nil, storedAppCount >= maxApps { throw .appLimit(maxApps) }
            if let owner = hostnameOwner(record.hostname, except: record.name) {
                throw .hostnameTaken(hostname: record.hostname, app: owner)
            }
            do {
                try store.addApp(record)
            } catch SealedStoreError.appAlreadyExists {
                // Stored but not in the map: it failed to restore at start, or (in a cluster)
                // another node loaded it a moment ago.
                throw skipped(named: record.name) != nil ? .storedButNotRestored(record.name) : .alreadyLoaded(record.name)
            } catch {
                throw .persistence(app: record.name, reason: "\(error)")
            }
            // On failure the commit is undone, so the store never keeps an app reported as failed.
            let (kv, sdk) = try openStored(record, in: store) { _ = try? store.removeApp(named: record.name) }
            let app = LoadedApp(record: record, component: component, limits: limits, kv: kv, sdk: sdk, ledger: ledger)
            apps.withLock { $0[app.name] = app }
            return app
        }
        notifyObservers()
        return app
    }

    /// What an operator's reload of a quarantined app asked for, checked against the stored
    /// record (nil: not given, so whatever is stored).
    struct Reinstatement {
        var keySource: String?
        var hostname: String?
        var maxFuel: UInt64?
    }

    /// Serves the quarantined app `name` again: its stored record (key, hostname, limits, data)
    /// with the quarantine cleared and saved. The caller has checked that the upload is the
    /// stored code (lifting a quarantine re-trusts that code; it is not an upgrade) and parsed it.
    /// - Throws: `.notQuarantined`, `.reloadDiffers` naming the field, `.noStore`, `.persistence`.
    func reinstate(_ name: String, as requested: Reinstatement, component: Component,
                   limits: (AppLimits) -> ExecutionLimits) throws(RegistryError) -> LoadedApp {
        guard let store else { throw .noStore }
        let app = try withMutationLock { () throws(RegistryError) -> LoadedApp in
            let stored = try Self.persisting(name) { try store.app(named: name) }
            // A cluster node's quarantine is its own (not in the shared record): the skipped list says it.
            let quarantinedHere = skipped(named: name)?.quarantine != nil
            guard var record = stored, record.quarantine != nil || quarantinedHere, !contains(name) else { throw .notQuarantined(name) }
            if let keySource = requested.keySource, keySource != record.keySource {
                throw .reloadDiffers(app: name, field: "encryption_key", stored: record.keySource)
            }
            if let hostname = requested.hostname, hostname != record.hostname {
                throw .reloadDiffers(app: name, field: "hostname", stored: record.hostname)
            }
            if let maxFuel = requested.maxFuel, maxFuel != record.limits.maxFuel {
                throw .reloadDiffers(app: name, field: "max_fuel", stored: record.limits.maxFuel.map(String.init) ?? "the server default")
            }
            record.quarantine = nil
            try Self.persisting(name) { try store.saveApp(record) }
            let (kv, sdk) = try openStored(record, in: store) {}
            let app = LoadedApp(record: record, component: component, limits: limits(record.limits), kv: kv,
                                sdk: sdk, ledger: ledger)
            apps.withLock { $0[name] = app }
            storage.withLock { $0.skipped.removeAll { $0.name == name } }
            return app
        }
        notifyObservers()
        return app
    }

    /// Removes app `name` from the store (destroying its key: data under a generated key is
    /// unreadable from then on, also after a restart) and then from the map.
    /// - Returns: whether there was such an app, served or only stored.
    /// - Throws: `RegistryError.persistence` when the store could not remove it; the app then
    ///   stays loaded, so the client's view and the store agree.
    @discardableResult
    public func unload(named name: String) throws(RegistryError) -> Bool {
        let removed = try withMutationLock { () throws(RegistryError) -> Bool in
            var stored = false
            if let store {
                stored = try Self.persisting(name) { try store.removeApp(named: name) }
                storage.withLock { $0.skipped.removeAll { $0.name == name } }
            }
            let served = apps.withLock { $0.removeValue(forKey: name) } != nil
            return stored || served
        }
        if removed { notifyObservers() }
        return removed
    }

    /// Serves `app` in place of whatever had its name (served, quarantined or not restored).
    /// Call under the mutation lock, after the store has committed the app's record.
    func replaceServed(_ app: LoadedApp) {
        apps.withLock { $0[app.name] = app }
        storage.withLock { $0.skipped.removeAll { $0.name == app.name } }
    }

    /// `body`'s result, or its store failure as `.persistence` naming the app.
    static func persisting<T>(_ app: String, _ body: () throws -> T) throws(RegistryError) -> T {
        do {
            return try body()
        } catch {
            throw .persistence(app: app, reason: "\(error)")
        }
    }

    /// What the store holds for `record`'s calls: its key-value data and its SDK state. On a
    /// failure `undo` runs first (the caller's way to put the store back as it was).
    func openStored(_ record: AppRecord, in store: SealedStore, undo: () -> Void) throws(RegistryError) -> (SealedKV, EnclaveApp) {
        do {
            let kv = try store.kv(for: record)
            return (kv, try sdkApp(for: record, kv: kv, store: store))
        } catch {
            undo()
            throw .persistence(app: record.name, reason: "\(error)")
        }
    }

    /// Apps stored now: served, and stored but not served.
    var storedAppCount: Int {
        apps.withLock { $0.count } + storage.withLock { $0.skipped.count }
    }

    /// The app other than `name` whose hostname is `hostname` (compared without case, as SNI
    /// is), served or only stored; nil if none.
    func hostnameOwner(_ hostname: String, except name: String) -> String? {
        let served = apps.withLock { apps in
            apps.values.first { $0.name != name && AppNaming.sameHostname($0.hostname, hostname) }?.name
        }
        if let served { return served }
        return storage.withLock { storage in
            storage.skipped.first { $0.name != name && AppNaming.sameHostname($0.hostname, hostname) }?.name
        }
    }

    func withMutationLock<T>(_ body: () throws(RegistryError) -> T) throws(RegistryError) -> T {
        mutationLock.lock()
        defer { mutationLock.unlock() }
        return try body()
    }

    /// The app called `name`, if loaded.
    public func app(named name: String) -> LoadedApp? {
        apps.withLock { $0[name] }
    }

    /// Every loaded app, sorted by name.
    public func all() -> [LoadedApp] {
        apps.withLock { Array($0.values) }.sorted { $0.name < $1.name }
    }

    /// Registers a callback run after every load and unload with the new app list, sorted by
    /// name. This is where an attesting identity provider hooks in to re-issue its certificate
    /// (docs/attestation.md: "loading or unloading an app changes the certificates served at once").
    public func observeChanges(_ observer: @escaping @Sendable ([LoadedApp]) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    // MARK: - Server start and stop

    /// Attaches the store opened at start and serves its apps again (one observer notification
    /// for all of them); remembers the ones skipped, and quarantines the ones `ledger`'s
    /// previous process was running when it stopped abnormally.
    func attach(_ store: SealedStore, ledger: InFlightLedger? = nil, crashed: Set<InFlightLedger.Mark> = [], restoring restorer: AppRestorer) throws {
        storage.withLock {
            $0.store = store
            $0.ledger = ledger
        }
        let outcome = try restorer.restore(from: store, registry: self, ledger: ledger, crashed: crashed)
        apps.withLock { apps in
            for app in outcome.restored { apps[app.name] = app }
        }
        storage.withLock { $0.skipped = outcome.skipped }
        if !outcome.restored.isEmpty { notifyObservers() }
    }

    /// Forgets every app and closes the store (server shutdown), so the same data directory can
    /// be opened again by the next server.
    func detachStore() {
        let (store, ledger) = storage.withLock { storage -> (SealedStore?, InFlightLedger?) in
            defer { storage = Storage() }
            return (storage.store, storage.ledger)
        }
        apps.withLock { $0.removeAll() }
        if let store { ServerStoreOpener.close(store) }
        // Reached only after every call has ended: a clean stop leaves nothing to quarantine.
        ledger?.close()
    }

    // MARK: - Cluster

    /// Registers the callback told the name of an app whose state beyond its record changed
    /// (its attestation extensions), so a cluster node can announce it to the others.
    func onStateChange(_ listener: @escaping @Sendable (String) -> Void) {
        let boxed = StateChangeListener(body: listener)
        stateChangeListener.withLock { $0 = boxed }
    }

    func announceStateChange(of name: String) {
        stateChangeListener.withLock { $0 }?.body(name)
    }

    /// The listener, in a class: a closure kept in the generic lock itself came back wrapped in
    /// two more reabstraction thunks from every `withLock` that read it, so each announcement
    /// ran deeper than the last, without bound. A class reference is never converted.
    private final class StateChangeListener: Sendable {
        let body: @Sendable (String) -> Void
        init(body: @escaping @Sendable (String) -> Void) { self.body = body }
    }

    /// Serves `app` in place of any app of that name, because another node of the cluster loaded
    /// or changed it; `stillCurrent` is asked under the mutation lock, so a local unload that
    /// raced with the change is not undone. Returns whether it was served.
    func serveFromCluster(_ app: LoadedApp, ifStillCurrent stillCurrent: () -> Bool) -> Bool {
        mutationLock.lock()
        guard stillCurrent() else {
            mutationLock.unlock()
            return false
        }
        apps.withLock { $0[app.name] = app }
        storage.withLock { $0.skipped.removeAll { $0.name == app.name } }
        mutationLock.unlock()
        notifyObservers()
        return true
    }

    /// Stops serving app `name` (another node unloaded it, or it cannot be served here; then
    /// `unavailable` says why, for `wasm_list`). Returns whether it was being served.
    func withdrawFromCluster(_ name: String, unavailable: SkippedApp?) -> Bool {
        mutationLock.lock()
        let served = apps.withLock { $0.removeValue(forKey: name) } != nil
        storage.withLock { storage in
            storage.skipped.removeAll { $0.name == name }
            if let unavailable { storage.skipped.append(unavailable) }
        }
        mutationLock.unlock()
        if served { notifyObservers() }
        return served
    }

    func notifyObservers() {
        let current = all()
        for observer in observers.withLock({ $0 }) { observer(current) }
    }
}

/// Registry failures; the first is a compat text.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A load under a name that is in use.
    case alreadyLoaded(String)
    /// A load under the name of a stored app that failed to restore at start.
    case storedButNotRestored(String)
    /// The registry has no store: the server has not started (or has stopped).
    case noStore
    /// The sealed store refused the change; nothing was changed.
    case persistence(app: String, reason: String)
    /// A reload meant to lift a quarantine named an app that is not quarantined.
    case notQuarantined(String)
    /// A load past `ResourceLimits.maxApps`.
    case appLimit(Int)
    /// A load under a hostname another app has.
    case hostnameTaken(hostname: String, app: String)
    /// A replace found the app changed (replaced, unloaded) since it read it.
    case changedMeanwhile(String)
    /// A reload meant to lift a quarantine asked for something other than what is stored.
    case reloadDiffers(app: String, field: String, stored: String)

    public var description: String {
        switch self {
        case .alreadyLoaded(let name):
            return "app '\(name)' is already loaded; to upgrade it, keeping its key and data, load the new version "
                + #"with "replace": true (enclave load --replace), or wasm_unload it first (destroys a generated key)"#
        case .storedButNotRestored(let name):
            return "app '\(name)' is already loaded (stored, but it failed to restore when the server started); "
                + #"load a version that loads with "replace": true (keeps its key and data), or wasm_unload it first"#
        case .appLimit(let limit):
            return "app limit reached: this server stores at most \(limit) apps (enclave-os --max-apps); unload one first"
        case .hostnameTaken(let hostname, let app):
            return "wasm_load.hostname: '\(hostname)' is already the hostname of app '\(app)'; each app needs its own"
        case .changedMeanwhile(let name):
            return "app '\(name)' was changed by another request while this one was being prepared; nothing was changed, retry"
        case .noStore:
            return "the app registry has no sealed store yet: start the server before loading apps"
        case .persistence(let app, let reason):
            return "cannot persist app '\(app)', so it was not changed: \(reason)"
        case .notQuarantined(let name):
            return "app '\(name)' is not quarantined"
        case .reloadDiffers(let app, let field, let stored):
            return "app '\(app)' is quarantined; reloading it lifts the quarantine and keeps what is stored, "
                + "but \(field) differs from the stored \(stored) (omit it, or wasm_unload the app first)"
        }
    }
}
