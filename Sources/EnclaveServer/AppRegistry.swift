/// The set of loaded apps, by name. Thread-safe: connections load, call and unload concurrently.
///
/// Only the map is guarded; component parsing happens before `insert`, outside the lock, so a
/// slow load never stalls calls to other apps.
public final class AppRegistry: Sendable {
    private let apps = Locked<[String: LoadedApp]>([:])
    private let observers = Locked<[@Sendable ([LoadedApp]) -> Void]>([])

    /// An empty registry (the server starts with no apps).
    public init() {}

    /// Whether an app of that name is loaded now.
    public func contains(_ name: String) -> Bool {
        apps.withLock { $0[name] != nil }
    }

    /// Adds `app` unless its name is taken (checked again here: two loads may race).
    /// - Throws: `RegistryError.alreadyLoaded`.
    public func insert(_ app: LoadedApp) throws(RegistryError) {
        let inserted = apps.withLock { apps -> Bool in
            guard apps[app.name] == nil else { return false }
            apps[app.name] = app
            return true
        }
        guard inserted else { throw .alreadyLoaded(app.name) }
        notifyObservers()
    }

    /// The app called `name`, if loaded.
    public func app(named name: String) -> LoadedApp? {
        apps.withLock { $0[name] }
    }

    /// Removes and returns the app called `name`; nil if there was none.
    @discardableResult
    public func remove(named name: String) -> LoadedApp? {
        let removed = apps.withLock { $0.removeValue(forKey: name) }
        if removed != nil { notifyObservers() }
        return removed
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

    private func notifyObservers() {
        let current = all()
        for observer in observers.withLock({ $0 }) { observer(current) }
    }
}

/// Registry failures, with the compat message texts.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A load under a name that is in use.
    case alreadyLoaded(String)

    public var description: String {
        switch self {
        case .alreadyLoaded(let name): return "app '\(name)' is already loaded"
        }
    }
}
