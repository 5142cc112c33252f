// SymmetricKey is immutable but not marked Sendable in swift-crypto 3.12; sharing it is safe.
@preconcurrency import Crypto
import Foundation
import SealedStore

/// The cluster key: the sealing root every node of a cluster shares in place of its own
/// platform sealing key, so an app record or a sealed value written by one node opens on every
/// other. It never leaves a node except to a verified peer over mutual RA-TLS, and each node
/// keeps it only sealed under its own platform key (`ClusterKeyFile`).
struct ClusterKey: SealingKeyProvider {
    /// Label of the check value stored in the database (`enclaveos_cluster`, `key-check`).
    static let checkLabel = Array("enclaveos/cluster-key/check/v1".utf8)
    /// Name of the check value in the database.
    static let checkName = "key-check"

    let key: SymmetricKey
    /// True when the nodes' evidence is simulated: the key is then only as safe as the hosts.
    let simulated: Bool

    var kind: String { simulated ? "cluster key (SIMULATED attestation)" : "cluster key" }
    var isSimulated: Bool { simulated }
    func sealingKey() throws -> SymmetricKey { key }

    /// A fresh random key (the first node of a cluster).
    static func generate(simulated: Bool) -> ClusterKey {
        ClusterKey(key: SymmetricKey(size: .bits256), simulated: simulated)
    }

    /// HMAC-SHA256(key, label): stored in the database so a node can tell, before it writes
    /// anything, whether the key it holds is the cluster's. It reveals nothing about the key.
    var checkValue: [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Self.checkLabel, using: key))
    }

    /// The raw key, for sealing it locally or sending it to a verified peer.
    var bytes: [UInt8] {
        key.withUnsafeBytes { Array($0) }
    }
}
