import Attestation
import Foundation
import SealedStore

/// How a server runs as one node of a cluster: several `enclave-os` servers over one PostgreSQL
/// store, sharing a cluster key provisioned over mutual RA-TLS (docs/cluster.md).
public struct ClusterConfiguration: Sendable {
    /// A member's cluster address, from `--join https://HOST:PORT`.
    public struct Peer: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int

        /// Parses `https://HOST:PORT` (the port is the member's `--cluster-port`).
        /// - Throws: `ClusterError.invalidOption` naming what is wrong.
        public init(parsing text: String) throws {
            guard let components = URLComponents(string: text), components.scheme == "https",
                  let host = components.host, !host.isEmpty else {
                throw ClusterError.invalidOption("--join must be https://HOST:PORT (a member's cluster port), got '\(text)'")
            }
            guard let port = components.port, (1...65_535).contains(port) else {
                throw ClusterError.invalidOption("--join needs the member's cluster port: https://\(host):PORT")
            }
            guard components.path.isEmpty || components.path == "/", components.query == nil, components.user == nil else {
                throw ClusterError.invalidOption("--join takes only https://HOST:PORT, got '\(text)'")
            }
            self.host = host
            self.port = port
        }

        public var description: String { "https://\(host):\(port)" }
    }

    /// The shared store (`--store postgres://…`).
    public var store: PostgresURL
    /// A member to ask for the cluster key when this node has none yet (`--join`).
    public var join: Peer?
    /// Address of this node's cluster listener, where joining nodes ask for the key.
    public var listenHost: String
    /// Port of the cluster listener (0: the kernel picks one).
    public var listenPort: Int
    /// How often this node looks for apps loaded, changed or unloaded through other nodes.
    public var syncInterval: TimeInterval
    /// Where this node's attestation evidence comes from (the same provider as its RA-TLS).
    public var attestation: any AttestationProvider
    /// SHA-256 of the egress CA bundle (attested in the cluster certificates too).
    public var egressCABundleHash: [UInt8]
    /// Primary measurements (MRENCLAVE / MRTD / SNP MEASUREMENT) a peer may have besides this
    /// node's own: a rolling upgrade to new code lists the new build's value here.
    public var allowedMeasurements: [[UInt8]]

    /// A node configuration; `attestation` is the provider of the server's RA-TLS identity.
    public init(store: PostgresURL, join: Peer? = nil, listenHost: String = "127.0.0.1", listenPort: Int = 8444,
                syncInterval: TimeInterval = 0.5, attestation: any AttestationProvider,
                egressCABundleHash: [UInt8], allowedMeasurements: [[UInt8]] = []) {
        self.store = store
        self.join = join
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.syncInterval = syncInterval
        self.attestation = attestation
        self.egressCABundleHash = egressCABundleHash
        self.allowedMeasurements = allowedMeasurements
    }
}

extension ClusterConfiguration {
    /// A node configuration whose cluster certificates use the same attestation provider and
    /// egress bundle hash as the server's RA-TLS `identity`.
    public init(store: PostgresURL, join: Peer?, listenHost: String, listenPort: Int, syncInterval: TimeInterval,
                identity: RATLSIdentity, allowedMeasurements: [[UInt8]] = []) {
        self.init(store: store, join: join, listenHost: listenHost, listenPort: listenPort, syncInterval: syncInterval,
                  attestation: identity.provider, egressCABundleHash: identity.egressCABundleHash,
                  allowedMeasurements: allowedMeasurements)
    }
}

/// Why a node could not join or serve its cluster; each text names the fix.
public enum ClusterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A cluster option is malformed.
    case invalidOption(String)
    /// The database already belongs to a cluster and this node has no key for it.
    case needsJoin
    /// The key this node holds (sealed locally, or received) is not the database's cluster key.
    case keyMismatch(String)
    /// The sealed local copy of the cluster key could not be read or written.
    case keyFile(path: String, reason: String)
    /// Provisioning from a member failed (connection, attestation, protocol).
    case joinFailed(peer: String, reason: String)
    /// The shared store failed.
    case store(String)

    public var description: String {
        switch self {
        case .invalidOption(let why):
            return why
        case .needsJoin:
            return "this database already belongs to a cluster and this node holds no cluster key: "
                + "start it with --join https://MEMBER:CLUSTER_PORT to receive the key from a member over attested TLS"
        case .keyMismatch(let why):
            return "cluster key mismatch: \(why). Refusing to start: data sealed under one key is unreadable under the other "
                + "(split brain). Use the data directory that belongs to this cluster, or an empty one with --join"
        case .keyFile(let path, let reason):
            return "cluster key file '\(path)': \(reason)"
        case .joinFailed(let peer, let reason):
            return "joining the cluster through \(peer) failed: \(reason)"
        case .store(let why):
            return "cluster store: \(why)"
        }
    }
}
