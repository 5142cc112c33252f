import Components
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
    private let storage = Locked<Storage>(Storage())
    // Serialises load and unload (see the type's comment); never held while parsing or calling.
    private let mutationLock = NSLock()

    private struct Storage {
        var store: SealedStore?
        var skipped: [SkippedApp] = []
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
    public func load(_ record: AppRecord, component: Component, limits: ExecutionLimits) throws(RegistryError) -> LoadedApp {
        guard let store else { throw .noStore }
        let app = try withMutationLock { () throws(RegistryError) -> LoadedApp in
            guard !contains(record.name) else { throw .alreadyLoaded(record.name) }
            do {
                try store.addApp(record)
            } catch SealedStoreError.appAlreadyExists {
                // Stored but not in the map: it failed to restore at start.
                throw .storedButNotRestored(record.name)
            } catch {
                throw .persistence(app: record.name, reason: "\(error)")
            }
            let kv: SealedKV
            let sdk: EnclaveApp
            do {
                kv = try store.kv(for: record)
                sdk = try sdkApp(for: record, kv: kv, store: store)
            } catch {
                // Undo the commit, so the store never keeps an app that was reported as failed.
                _ = try? store.removeApp(named: record.name)
                throw .persistence(app: record.name, reason: "\(error)")
            }
            let app = LoadedApp(record: record, component: component, limits: limits, kv: kv, sdk: sdk)
            apps.withLock { $0[app.name] = app }
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
                do {
                    stored = try store.removeApp(named: name)
                } catch {
                    throw .persistence(app: name, reason: "\(error)")
                }
                storage.withLock { $0.skipped.removeAll { $0.name == name } }
            }
            let served = apps.withLock { $0.removeValue(forKey: name) } != nil
            return stored || served
        }
        if removed { notifyObservers() }
        return removed
    }

    private func withMutationLock<T>(_ body: () throws(RegistryError) -> T) throws(RegistryError) -> T {
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
    /// (SPEC §8: "loading or unloading an app changes the certificates served at once").
    public func observeChanges(_ observer: @escaping @Sendable ([LoadedApp]) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    // MARK: - Server start and stop

    /// Attaches the store opened at start and serves its apps again (one observer notification
    /// for all of them); remembers the ones skipped.
    func attach(_ store: SealedStore, restoring restorer: AppRestorer) throws {
        storage.withLock { $0.store = store }
        let outcome = try restorer.restore(from: store, registry: self)
        apps.withLock { apps in
            for app in outcome.restored { apps[app.name] = app }
        }
        storage.withLock { $0.skipped = outcome.skipped }
        if !outcome.restored.isEmpty { notifyObservers() }
    }

    /// Forgets every app and closes the store (server shutdown), so the same data directory can
    /// be opened again by the next server.
    func detachStore() {
        let store = storage.withLock { storage -> SealedStore? in
            defer { storage = Storage() }
            return storage.store
        }
        apps.withLock { $0.removeAll() }
        if let store { ServerStoreOpener.close(store) }
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

    public var description: String {
        switch self {
        case .alreadyLoaded(let name):
            return "app '\(name)' is already loaded"
        case .storedButNotRestored(let name):
            return "app '\(name)' is already loaded (stored, but it failed to restore when the server started; "
                + "wasm_unload it first)"
        case .noStore:
            return "the app registry has no sealed store yet: start the server before loading apps"
        case .persistence(let app, let reason):
            return "cannot persist app '\(app)', so it was not changed: \(reason)"
        }
    }
}
