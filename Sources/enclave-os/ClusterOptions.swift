import ArgumentParser
import EnclaveServer
import Foundation
import SealedStore

/// The options that make `enclave-os` a node of a cluster (docs/cluster.md).
struct ClusterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Where apps and their data are stored: 'sqlite' (a file in --data-dir, the default) or a shared PostgreSQL database, postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|require&pool_size=N], which makes this server a cluster node.",
                               valueName: "sqlite|postgres://…"))
    var store: String = "sqlite"

    @Option(help: ArgumentHelp("A cluster member to receive the cluster key from, over mutual RA-TLS, when this node has none yet (its --cluster-port).",
                               valueName: "https://HOST:PORT"))
    var join: String?

    @Option(name: .customLong("cluster-port"), help: "Port where this node gives the cluster key to joining nodes after verifying their attestation (with --store postgres://…; bound on --host).")
    var clusterPort: Int = 8444

    @Option(name: .customLong("cluster-sync-ms"), help: "How often a node looks for apps loaded, changed or unloaded through other nodes, in milliseconds.")
    var clusterSyncMilliseconds: Int = 500

    @Option(name: .customLong("cluster-allow-measurement"),
            help: ArgumentHelp("A primary measurement (hex MRENCLAVE / MRTD / SNP MEASUREMENT) a peer may have besides this node's own, e.g. the next build during a rolling upgrade. Repeatable.",
                               valueName: "HEX"))
    var allowedMeasurements: [String] = []

    /// The shared store, or nil for the default SQLite file.
    func postgresURL() throws -> PostgresURL? {
        guard store != "sqlite" else {
            if join != nil { throw ValidationError("--join needs --store postgres://… (a cluster shares one database)") }
            return nil
        }
        do {
            return try PostgresURL(parsing: store)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func validate() throws {
        _ = try postgresURL()
        guard (0...65_535).contains(clusterPort) else { throw ValidationError("--cluster-port must be between 0 and 65535") }
        guard (50...60_000).contains(clusterSyncMilliseconds) else {
            throw ValidationError("--cluster-sync-ms must be between 50 and 60000")
        }
        if let join { _ = try peer(join) }
        _ = try measurements()
    }

    private func peer(_ text: String) throws -> ClusterConfiguration.Peer {
        do {
            return try ClusterConfiguration.Peer(parsing: text)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    private func measurements() throws -> [[UInt8]] {
        try allowedMeasurements.map { text in
            let characters = Array(text)
            guard !characters.isEmpty, characters.count % 2 == 0, characters.count <= 128 else {
                throw ValidationError("--cluster-allow-measurement must be hex (up to 64 bytes), got '\(text)'")
            }
            return try stride(from: 0, to: characters.count, by: 2).map { index in
                guard let byte = UInt8(String(characters[index..<index + 2]), radix: 16) else {
                    throw ValidationError("--cluster-allow-measurement must be hex (up to 64 bytes), got '\(text)'")
                }
                return byte
            }
        }
    }

    /// The cluster configuration, or nil for a single server.
    func configuration(host: String, identity: RATLSIdentity) throws -> ClusterConfiguration? {
        guard let url = try postgresURL() else { return nil }
        return ClusterConfiguration(store: url, join: try join.map(peer), listenHost: host, listenPort: clusterPort,
                                    syncInterval: TimeInterval(clusterSyncMilliseconds) / 1000, identity: identity,
                                    allowedMeasurements: try measurements())
    }
}
