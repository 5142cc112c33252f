import Components
import HostInterfaces
import SealedStore

extension AppRegistry {
    /// Swaps app `name` to `record` (new code, same key) in one step: the record is committed
    /// first, then the map entry is replaced. Calls that already hold the old `LoadedApp` finish
    /// on the old code; calls that look the app up afterwards get the new one. A quarantine or
    /// a failed restore of the old version is lifted. Nothing changes if anything fails.
    /// - Parameters:
    ///   - storedCodeHash: the code hash of the stored record the caller read and checked its
    ///     request against; if the app changed since (another replace, an unload), nothing is done.
    ///   - component: `record.code`, parsed and validated.
    /// - Returns: the app now served and the code hash it replaced.
    /// - Throws: `.changedMeanwhile`, `.hostnameTaken`, `.noStore`, `.persistence`.
    func replace(_ record: AppRecord, storedCodeHash: String, component: Component,
                 limits: ExecutionLimits) throws(RegistryError) -> LoadedApp {
        guard let store else { throw .noStore }
        let name = record.name
        let app = try withMutationLock { () throws(RegistryError) -> LoadedApp in
            let stored = try Self.persisting(name) { try store.app(named: name) }
            guard let stored, stored.codeHash == storedCodeHash, stored.keySource == record.keySource else {
                throw .changedMeanwhile(name)
            }
            if let owner = hostnameOwner(record.hostname, except: name) {
                throw .hostnameTaken(hostname: record.hostname, app: owner)
            }
            try Self.persisting(name) { try store.saveApp(record) }
            // On failure the old record goes back, so the store and the served app still agree.
            let (kv, sdk) = try openStored(record, in: store) { try? store.saveApp(stored) }
            let app = LoadedApp(record: record, component: component, limits: limits, kv: kv, sdk: sdk, ledger: ledger)
            replaceServed(app)
            return app
        }
        notifyObservers()
        return app
    }
}
