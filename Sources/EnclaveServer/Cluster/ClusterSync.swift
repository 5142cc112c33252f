import Attestation
import Foundation
import HostInterfaces
import Logging
import SealedStore

/// The feed of app changes made through other nodes: every `interval` it lists the app records'
/// versions in the shared database and brings this node's registry in line: an app loaded or
/// changed elsewhere is restored here (validated and instantiated like at start, guarded by the
/// in-flight record) and served; an app unloaded elsewhere stops being served and its key
/// handle is closed. The registry's observers run as for a local change, so this node's RA-TLS
/// certificates follow within one interval plus the restore.
///
/// What it skips: a change this node made itself (the record equals what it serves), and an app
/// this node quarantined after its own crash, until the app's record changes (someone reloaded
/// or replaced it).
final class ClusterSync: Sendable {
    private let backend: PostgresBackend
    private let store: SealedStore
    private let registry: AppRegistry
    private let restorer: AppRestorer
    private let interval: TimeInterval
    private let logger: Logger
    private let queue = DispatchQueue(label: "enclave-os.cluster.sync")
    private let state: Locked<State>

    private struct State {
        /// Record versions this node has acted on, by record id.
        var known: [[UInt8]: Int64]
        var stopped = false
        var failing = false
    }

    init(backend: PostgresBackend, store: SealedStore, registry: AppRegistry, restorer: AppRestorer,
         interval: TimeInterval, known: [[UInt8]: Int64], logger: Logger) {
        self.backend = backend
        self.store = store
        self.registry = registry
        self.restorer = restorer
        self.interval = max(0.05, interval)
        self.logger = logger
        self.state = Locked(State(known: known))
    }

    func start() {
        schedule()
    }

    /// Stops following; returns once a round in progress has ended.
    func stop() {
        state.withLock { $0.stopped = true }
        queue.sync {}
    }

    private func schedule() {
        queue.asyncAfter(deadline: .now() + interval) { [weak self] in
            guard let self, !self.state.withLock({ $0.stopped }) else { return }
            self.round()
            self.schedule()
        }
    }

    /// One comparison of the database with what this node serves.
    func round() {
        let current: [[UInt8]: Int64]
        do {
            current = Dictionary(try backend.appVersions().map { ($0.id, $0.version) }, uniquingKeysWith: max)
        } catch {
            reportFailure("cannot read app versions: \(error)")
            return
        }
        let known = state.withLock { $0.known }
        for id in known.keys where current[id] == nil {
            withdraw(id: id)
            state.withLock { _ = $0.known.removeValue(forKey: id) }
        }
        for (id, version) in current where known[id] != version {
            do {
                try apply(id: id)
            } catch {
                // Left unknown, so the next round tries again.
                reportFailure("app record \(Hex.encode(id.prefix(8)))…: \(error)")
                continue
            }
        }
        if state.withLock({ $0.failing }) {
            state.withLock { $0.failing = false }
            log("cluster: following app changes again")
        }
    }

    private func reportFailure(_ message: String) {
        // Once per failure streak: a database outage would otherwise log every interval.
        let first = state.withLock { state -> Bool in
            defer { state.failing = true }
            return !state.failing
        }
        if first { log("cluster: \(message) (retrying every \(Int(interval * 1000)) ms)") }
    }

    /// Stops serving the app whose record `id` disappeared (unloaded through another node).
    private func withdraw(id: [UInt8]) {
        let names = registry.all().map(\.name) + registry.unavailable.map(\.name)
        guard let name = names.first(where: { store.recordID(forApp: $0) == id }) else { return }
        store.forgetApp(named: name)
        if registry.withdrawFromCluster(name, unavailable: nil) {
            log("cluster: app '\(LogText.field(name))' was unloaded through another node; no longer served here")
        }
    }

    /// Re-reads the attestation extensions `app` stored, and re-issues certificates if another
    /// node changed them.
    private func refreshExtensions(of app: LoadedApp) throws {
        guard let extensions = app.sdk?.attestation else { return }
        if extensions.replace(with: try AttestationExtensions.stored(in: app.kv)) {
            registry.notifyObservers()
            log("cluster: app '\(LogText.field(app.name))' changed its attestation extensions through another node")
        }
    }

    private func apply(id: [UInt8]) throws {
        guard let (sealed, version) = try backend.versionedAppRecord(id: id) else { return }
        let record = try store.openRecord(id: id, sealed: sealed)
        defer { state.withLock { $0.known[id] = version } }
        let stillCurrent: @Sendable () -> Bool = { [backend] in
            (try? backend.versionedAppRecord(id: id))??.version == version
        }
        if let quarantine = record.quarantine {
            store.forgetApp(named: record.name)
            _ = registry.withdrawFromCluster(record.name, unavailable: SkippedApp(name: record.name, hostname: record.hostname, codeHash: record.codeHash,
                                                                                  reason: quarantine.reason, quarantine: quarantine))
            return
        }
        if let served = registry.app(named: record.name), served.codeHash == record.codeHash, served.hostname == record.hostname,
           served.key.key == record.key.key, served.key.keySource == record.keySource,
           served.limits == restorer.configuration.executionLimits(for: record.limits),
           served.callCredential?.hex == record.appAuthDigest {
            // This node made the change or serves it already; what the app set for its
            // certificate may have changed through another node.
            try refreshExtensions(of: served)
            return
        }
        do {
            let app = try restorer.restoreFromCluster(record, store: store, registry: registry)
            if registry.serveFromCluster(app, ifStillCurrent: stillCurrent) {
                log("cluster: app '\(LogText.field(record.name))' (code_hash \(record.codeHash)) loaded or changed through another node; now served here")
            }
        } catch {
            let message = "app '\(LogText.field(record.name))' (code_hash \(record.codeHash)) changed through another node but does "
                + "not load here: \(LogText.field("\(error)", maxBytes: 1024))"
            logger.error("\(message)")
            store.forgetApp(named: record.name)
            _ = registry.withdrawFromCluster(record.name, unavailable: SkippedApp(name: record.name, hostname: record.hostname, codeHash: record.codeHash,
                                                                                  reason: "\(error)"))
        }
    }

    /// A cluster event at `info`.
    private func log(_ message: String) {
        logger.info("\(message)")
    }
}
