import Attestation
import HostInterfaces
import SealedStore

extension AppRegistry {
    /// What the SDK interfaces know of app `record`: its sealing key (from the store's sealing
    /// root and the code hash) and its attestation extensions as persisted in `kv`. A change
    /// to an extension notifies the registry's observers, so its certificate is re-issued.
    func sdkApp(for record: AppRecord, kv: SealedKV, store: SealedStore) throws -> EnclaveApp {
        let name = record.name
        let extensions = AttestationExtensions(values: try AttestationExtensions.stored(in: kv)) { [weak self] in
            self?.notifyObservers()
            self?.announceStateChange(of: name)
        }
        guard let codeHash = Attestation.Hex.decode(record.codeHash) else {
            throw SealedStoreError.integrity("app record '\(record.name)' (code hash is not hex)")
        }
        return EnclaveApp(name: record.name, codeHash: codeHash, sealingRoot: try store.sealingKeyProvider.sealingKey(),
                          attestation: extensions)
    }
}
