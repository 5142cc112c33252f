import Attestation
// SymmetricKey is immutable but not marked Sendable in swift-crypto 3.12; sharing it is safe.
@preconcurrency import Crypto
import Foundation
import SealedStore

/// One server as a node of a cluster: its sealed store over the shared PostgreSQL database,
/// sealed with the cluster key, plus the services a node runs beside the client listener (the
/// cluster listener that provisions joining nodes, and the feed of app changes made through
/// other nodes).
///
/// The local data directory keeps what is this node's alone: its platform sealing key
/// (simulated: a key file), its sealed copy of the cluster key, its lock and its in-flight
/// record. Apps and their data live in the database, as ciphertext.
final class ClusterNode: Sendable {
    /// The store every node shares, sealed with the cluster key.
    let store: SealedStore
    let backend: PostgresBackend
    private let key: ClusterKey
    private let cluster: ClusterConfiguration
    private let configuration: ServerConfiguration
    private let attestation: ClusterAttestation
    private let directoryLock: DataDirectoryLock
    private let services = Locked(Services())

    private struct Services {
        var listener: ClusterKeyService?
        var sync: ClusterSync?
        var listenPort: Int?
    }

    private init(store: SealedStore, backend: PostgresBackend, key: ClusterKey, cluster: ClusterConfiguration,
                 configuration: ServerConfiguration, directoryLock: DataDirectoryLock) {
        self.store = store
        self.backend = backend
        self.key = key
        self.cluster = cluster
        self.configuration = configuration
        self.directoryLock = directoryLock
        attestation = ClusterAttestation(provider: cluster.attestation, egressCABundleHash: cluster.egressCABundleHash,
                                         allowedMeasurements: cluster.allowedMeasurements)
    }

    /// Locks the data directory, connects to the database and obtains the cluster key: this
    /// node's sealed copy, or from a member (`--join`), or a new one if this is the first node.
    /// - Throws: `PersistenceError` for the data directory, `ClusterError` for the key and store.
    static func open(_ configuration: ServerConfiguration, _ cluster: ClusterConfiguration) async throws -> ClusterNode {
        let log = configuration.log
        guard let directory = configuration.dataDirectory else {
            throw ClusterError.invalidOption("a cluster node needs a data directory (--data-dir) for its sealed copy of the cluster key")
        }
        if let warning = try ServerDataDirectory.prepare(directory) { configuration.logWarning(warning) }
        let lock: DataDirectoryLock
        let platform: SimulatedSealingKey
        do {
            lock = try DataDirectoryLock(directory: directory)
            platform = try SimulatedSealingKey(directory: directory)
        } catch {
            throw PersistenceError.storeUnavailable(path: directory, reason: "\(error)")
        }
        let backend: PostgresBackend
        do {
            backend = try PostgresBackend(url: cluster.store)
        } catch {
            lock.release()
            throw ClusterError.store("\(cluster.store): \(error)")
        }
        do {
            let key = try await obtainKey(cluster, backend: backend, directory: directory, platformKey: platform.sealingKey(), log: log)
            // Quotas are counted per node: writes through other nodes are seen when the app's
            // handle is reopened (docs/operations.md, Limits).
            let store = try SealedStore(backend: backend, sealingKeyProvider: key,
                                        limits: ServerStoreOpener.storeLimits(configuration),
                                        quotaReport: ServerStoreOpener.quotaReport(configuration))
            log("storage: PostgreSQL \(cluster.store) (shared sealed store; it holds only ciphertext)")
            for warning in backend.durabilityWarnings { configuration.logWarning(warning) }
            log("sealing: \(key.kind); this node's copy is sealed in \(ClusterKeyFile.path(in: directory)) under its "
                + (platform.isSimulated ? "SIMULATED platform key (a key file beside it: no protection against the host)" : "platform key"))
            return ClusterNode(store: store, backend: backend, key: key, cluster: cluster, configuration: configuration, directoryLock: lock)
        } catch {
            backend.close()
            lock.release()
            throw error
        }
    }

    private static func obtainKey(_ cluster: ClusterConfiguration, backend: PostgresBackend, directory: String,
                                  platformKey: SymmetricKey, log: @escaping @Sendable (String) -> Void) async throws -> ClusterKey {
        let simulated = !cluster.attestation.isHardware
        let stored = try storeCall { try backend.clusterValue(ClusterKey.checkName) }
        if let local = try ClusterKeyFile.load(directory: directory, platformKey: platformKey) {
            let key = ClusterKey(key: local, simulated: simulated)
            if let stored, stored != key.checkValue {
                throw ClusterError.keyMismatch("the key sealed in this data directory is not this database's cluster key")
            }
            if stored == nil {
                // A node that died between sealing a new key and registering it, or a database
                // restored empty: register this node's key, unless another node got there first.
                guard try storeCall({ try backend.addClusterValue(ClusterKey.checkName, key.checkValue) }) == key.checkValue else {
                    throw ClusterError.keyMismatch("another node registered a different cluster key in this database")
                }
                log("cluster: registered this node's cluster key in an empty database")
            }
            if cluster.join != nil { log("cluster: this node already holds the cluster key; --join is not needed") }
            return key
        }
        if let peer = cluster.join {
            guard let stored else {
                throw ClusterError.joinFailed(peer: peer.description,
                                              reason: "the database has no cluster key yet: start the first node without --join")
            }
            let attestation = ClusterAttestation(provider: cluster.attestation, egressCABundleHash: cluster.egressCABundleHash,
                                                 allowedMeasurements: cluster.allowedMeasurements)
            let bytes = try await ClusterJoinClient.requestKey(from: peer, keyCheck: stored, attestation: attestation, log: log)
            let key = ClusterKey(key: SymmetricKey(data: bytes), simulated: simulated)
            guard key.checkValue == stored else {
                throw ClusterError.keyMismatch("the member at \(peer) sent a key that is not this database's cluster key")
            }
            try ClusterKeyFile.store(key.key, directory: directory, platformKey: platformKey)
            log("cluster: joined through \(peer); the cluster key is sealed locally" + (simulated ? " (SIMULATED attestation on both sides)" : ""))
            return key
        }
        guard stored == nil else { throw ClusterError.needsJoin }
        // First node. Seal locally before registering: a crash in between leaves a node that
        // registers its key at the next start, never a database whose key nobody holds.
        let key = ClusterKey.generate(simulated: simulated)
        try ClusterKeyFile.store(key.key, directory: directory, platformKey: platformKey)
        guard try storeCall({ try backend.addClusterValue(ClusterKey.checkName, key.checkValue) }) == key.checkValue else {
            try? FileManager.default.removeItem(atPath: ClusterKeyFile.path(in: directory))
            throw ClusterError.needsJoin
        }
        log("cluster: created a new cluster key (this is the cluster's first node)" + (simulated ? "; SIMULATED attestation" : ""))
        return key
    }

    private static func storeCall<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw ClusterError.store("\(error)")
        }
    }

    /// The app versions now in the database: read just before the registry restores its apps,
    /// so the change feed starts from what the restore saw (or older, never newer).
    func versionSnapshot() throws -> [[UInt8]: Int64] {
        Dictionary(try backend.appVersions().map { ($0.id, $0.version) }, uniquingKeysWith: max)
    }

    /// Starts the cluster listener and the change feed.
    func startServices(registry: AppRegistry, restorer: AppRestorer, versions: [[UInt8]: Int64]) async throws {
        let listener = ClusterKeyService(attestation: attestation, key: key, log: configuration.log)
        let port = try await listener.start(host: cluster.listenHost, port: cluster.listenPort)
        let sync = ClusterSync(backend: backend, store: store, registry: registry, restorer: restorer,
                               interval: cluster.syncInterval, known: versions, logger: configuration.logger)
        services.withLock {
            $0.listener = listener
            $0.sync = sync
            $0.listenPort = port
        }
        // An app's certificate extensions live in its data, not its record: a new record
        // version tells the other nodes to read them again.
        registry.onStateChange { [backend, store, log = configuration.log] name in
            do {
                try backend.touchAppRecord(id: store.recordID(forApp: name))
            } catch {
                log("cluster: cannot announce the change of app '\(name)' to the other nodes: \(error)")
            }
        }
        sync.start()
        configuration.log("cluster: listening for joining nodes on \(cluster.listenHost):\(port) (mutual RA-TLS); "
            + "following app changes every \(Int(cluster.syncInterval * 1000)) ms")
    }

    /// The bound port of the cluster listener, once started.
    var listenPort: Int? {
        services.withLock { $0.listenPort }
    }

    /// Stops the change feed and the listener (before the store closes).
    func stopServices() async {
        let (listener, sync) = services.withLock { services in
            defer { services.listener = nil; services.sync = nil }
            return (services.listener, services.sync)
        }
        sync?.stop()
        await listener?.stop()
    }

    /// Releases the data directory (after the store has closed).
    func releaseDirectory() {
        directoryLock.release()
    }
}
