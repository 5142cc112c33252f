import EnclaveProtocol
import SealedStore

/// Answers the streamed-load messages (`wasm_load_begin`, `_chunk`, `_commit`, `_abort`). The
/// commit hands the verified bytes to the same load path as a one-frame `wasm_load`.
struct UploadService: Sendable {
    let store: UploadStore
    let registry: AppRegistry
    /// For the checks a load makes that can be made before the upload (`max_fuel`'s cap).
    let configuration: ServerConfiguration

    /// Answers `message`, sent by `actor`; `load` performs the load of a committed upload on
    /// behalf of whoever began it (the upload's id, known only to them, is the credential of
    /// the later steps).
    func handle(_ message: UploadMessage, startedBy actor: ManagementService.Actor,
                load: (LoadRequest, ManagementService.Actor) -> ManagementResponse) -> ManagementResponse {
        do throws(UploadError) {
            switch message {
            case .begin(let begin):
                if let refusal = precheck(begin) { return .error(refusal) }
                let session = try store.begin(begin, operatorName: actor.operatorName)
                return .uploadReady(UploadTicket(upload: session.id, chunkSize: UploadLimits.suggestedChunkBytes,
                                                 timeoutSeconds: store.limits.idleTimeoutSeconds))
            case .chunk(let chunk):
                let session = try store.session(chunk.upload)
                let received = try chunk.bytes.withUnsafeBytes { bytes in
                    Result { () throws(UploadError) in try session.append(bytes, at: chunk.offset) }
                }.get()
                return .chunkReceived(upload: chunk.upload, received: received)
            case .commit(let id):
                let session = try store.session(id)
                let bytes: [UInt8]
                do throws(UploadError) {
                    bytes = try session.finish()
                } catch {
                    // An incomplete upload can still be completed; anything else ends it.
                    if case .incomplete = error {} else { store.remove(id) }
                    throw error
                }
                store.remove(id)
                let manifest = session.manifest
                return load(LoadRequest(name: manifest.name, bytes: bytes, hostname: manifest.hostname,
                                        encryptionKey: manifest.encryptionKey, maxFuel: manifest.maxFuel, base64: true,
                                        replace: manifest.replace, appAuth: manifest.appAuth),
                            ManagementService.Actor(operatorName: session.operatorName))
            case .abort(let id):
                guard store.remove(id) else { throw .unknownUpload(id, timeoutSeconds: store.limits.idleTimeoutSeconds) }
                return .uploadAborted(upload: id)
            }
        } catch {
            return .error(error.description)
        }
    }

    /// What would make the commit fail anyway, checked before any byte is sent: a `max_fuel`
    /// over the cap, a bad key, a name in use (unless replacing), a name or hostname that cannot
    /// be served. The commit checks again (another client may load the name meanwhile).
    private func precheck(_ begin: UploadBegin) -> String? {
        if let refusal = configuration.fuelRefusal(begin.maxFuel) { return refusal }
        if let hex = begin.encryptionKey {
            do {
                _ = try AppKey.fromHex(hex)
            } catch {
                return "\(error)"  // the compat texts of wasm_load
            }
        }
        guard !begin.replace else { return nil }
        if registry.contains(begin.name) { return RegistryError.alreadyLoaded(begin.name).description }
        if registry.skipped(named: begin.name) != nil { return nil }  // the commit says what to do
        if let problem = AppNaming.problem(withName: begin.name) { return problem }
        if case .failure(let refusal) = AppNaming.hostname(begin.hostname, name: begin.name) {
            return refusal.message
        }
        return nil
    }
}
