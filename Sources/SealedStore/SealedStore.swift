import Foundation
import Synchronization

/// The server's sealed storage: the persisted app registry plus one `SealedKV` per app, over one
/// backend (docs/sdk.md, sealed store). Thread-safe.
public final class SealedStore: Sendable {
    /// The SQLite file name inside the data directory.
    public static let databaseFileName = "enclave-os.sqlite"

    /// Where ciphertext lives.
    public let backend: any StorageBackend
    /// The provider of the key that seals app records.
    public let sealingKeyProvider: any SealingKeyProvider
    /// Caps applied to every app's `SealedKV`.
    public let limits: SealedKVLimits
    private let sealer: AppRecordSealer
    /// Hears of writes refused by an app's quota (`limits.maxStoredBytes` / `maxEntries`).
    private let quotaReport: (@Sendable (QuotaRefusal) -> Void)?
    /// One shared SealedKV per app name, so removal can close the one in use.
    private let handles = Mutex<[String: SealedKV]>([:])

    /// A store over any backend.
    public init(backend: any StorageBackend, sealingKeyProvider: any SealingKeyProvider,
                limits: SealedKVLimits = .default, quotaReport: (@Sendable (QuotaRefusal) -> Void)? = nil) throws {
        self.quotaReport = quotaReport
        self.backend = backend
        self.sealingKeyProvider = sealingKeyProvider
        self.limits = limits
        self.sealer = AppRecordSealer(sealingKey: try sealingKeyProvider.sealingKey())
    }

    /// Opens the default layout: `<dataDirectory>/enclave-os.sqlite`, sealed with
    /// `sealingKeyProvider` or, if nil, a `SimulatedSealingKey` in the same directory.
    /// `exclusive` (what a server uses) first takes the `DataDirectoryLock`, held until the
    /// backend is closed: a second exclusive opener, in any process, is refused.
    /// - Throws: `DataDirectoryLock.Failure.inUse` naming the holder's PID.
    public static func open(dataDirectory: String, sealingKeyProvider: (any SealingKeyProvider)? = nil,
                            durability: SQLiteBackend.Durability = .full,
                            limits: SealedKVLimits = .default, exclusive: Bool = false,
                            quotaReport: (@Sendable (QuotaRefusal) -> Void)? = nil) throws -> SealedStore {
        try DataDirectory.ensure(dataDirectory)
        // Before anything reads or creates the key file or database: the holder owns them.
        let directoryLock = try exclusive ? DataDirectoryLock(directory: dataDirectory) : nil
        let provider = try sealingKeyProvider ?? SimulatedSealingKey(directory: dataDirectory)
        let path = (dataDirectory as NSString).appendingPathComponent(databaseFileName)
        let backend = try SQLiteBackend(path: path, durability: durability)
        backend.directoryLock = directoryLock
        return try SealedStore(backend: backend, sealingKeyProvider: provider, limits: limits, quotaReport: quotaReport)
    }

    // MARK: - App registry

    /// Persists `record` (insert or replace) in one atomic commit.
    public func saveApp(_ record: AppRecord) throws {
        try AppNameRule.validate(record.name)
        let (id, sealed) = try sealer.seal(record)
        try backend.putAppRecord(id: id, record: sealed)
    }

    /// Persists `record` only if no app of that name is stored.
    /// - Throws: `appAlreadyExists` (its text is the compat `app '<name>' is already loaded`).
    public func addApp(_ record: AppRecord) throws {
        try AppNameRule.validate(record.name)
        let (id, sealed) = try sealer.seal(record)
        guard try backend.addAppRecord(id: id, record: sealed) else {
            throw SealedStoreError.appAlreadyExists(record.name)
        }
    }

    /// The stored record of app `name`, or nil.
    public func app(named name: String) throws -> AppRecord? {
        let id = sealer.id(forApp: name)
        guard let sealed = try backend.appRecord(id: id) else { return nil }
        return try sealer.open(id: id, sealed: sealed)
    }

    /// Every stored app, sorted by name (call at start to restore loaded apps).
    /// - Throws: `integrity` if any record was tampered with or sealed under another platform key
    ///   (e.g. the sealing-key file was replaced): better to refuse to start than to drop apps.
    public func loadApps() throws -> [AppRecord] {
        try backend.allAppRecords()
            .map { try sealer.open(id: $0.id, sealed: $0.record) }
            .sorted { $0.name < $1.name }
    }

    /// Removes app `name` and destroys its key: the record (which holds the key) is deleted and
    /// the shared `SealedKV` handle is closed. Rows written under a generated key are deleted in
    /// the same transaction (they could never be read again); BYOK rows stay, so loading the app
    /// again with the same name and key reads them. Returns whether the app was stored.
    @discardableResult
    public func removeApp(named name: String) throws -> Bool {
        closeHandle(named: name)
        let id = sealer.id(forApp: name)
        var namespace: [UInt8]?
        // A record that fails to open can still be removed (that is how an operator clears it);
        // its rows, if any, are then left behind, unreadable without the lost key.
        if let sealed = try backend.appRecord(id: id),
           let record = try? sealer.open(id: id, sealed: sealed), record.key.isGenerated {
            namespace = DerivedAppKeys.namespace(appKey: record.key, appName: name)
        }
        return try backend.removeApp(id: id, deletingNamespace: namespace)
    }

    // MARK: - Per-app key-value access

    /// The shared `SealedKV` of `record`'s app.
    public func kv(for record: AppRecord) throws -> SealedKV {
        try kv(appName: record.name, key: record.key)
    }

    /// The shared `SealedKV` of app `appName` under `key`. A cached handle under a different key
    /// (the app was re-added) is closed and replaced.
    public func kv(appName: String, key: AppKey) throws -> SealedKV {
        let namespace = DerivedAppKeys.namespace(appKey: key, appName: appName)
        let backend = backend, limits = limits, quotaReport = quotaReport
        return try handles.withLock { handles in
            if let handle = handles[appName], (try? handle.namespaceID()) == namespace {
                return handle
            }
            handles[appName]?.close()
            let handle = try SealedKV(appName: appName, appKey: key, backend: backend, limits: limits, quotaReport: quotaReport)
            handles[appName] = handle
            return handle
        }
    }

    /// A handle on app `appName`'s entries under `key` that is not shared or cached: for work on
    /// an app's data before its record is stored (the instantiation at load). Close it after.
    public func detachedKV(appName: String, key: AppKey) throws -> SealedKV {
        try SealedKV(appName: appName, appKey: key, backend: backend, limits: limits, quotaReport: quotaReport)
    }

    /// Closes the shared handle of app `name` without touching the store: another server of
    /// a cluster removed or replaced the app, so calls still holding the handle fail with
    /// `appRemoved` instead of writing under a key that is gone.
    public func forgetApp(named name: String) {
        closeHandle(named: name)
    }

    /// The row id of app `name`'s record (an HMAC: the host learns no names).
    public func recordID(forApp name: String) -> [UInt8] {
        sealer.id(forApp: name)
    }

    /// Opens a sealed record read straight from the backend (a cluster's change feed).
    /// - Throws: `integrity` if it was tampered with, renamed, or sealed under another key.
    public func openRecord(id: [UInt8], sealed: [UInt8]) throws -> AppRecord {
        try sealer.open(id: id, sealed: sealed)
    }

    private func closeHandle(named name: String) {
        let handle = handles.withLock { $0.removeValue(forKey: name) }
        handle?.close()
    }
}
