// SymmetricKey is immutable but not marked Sendable in swift-crypto 3.12; sharing it is safe.
@preconcurrency import Crypto
import SealedStore

/// A random sealing key that lives only in memory, for a server started without a data
/// directory (tests, embedding): nothing is written, so nothing survives the process.
struct EphemeralSealingKey: SealingKeyProvider {
    /// Reported in the start-up log.
    var kind: String { "ephemeral" }
    /// Not bound to any hardware.
    var isSimulated: Bool { true }
    private let key = SymmetricKey(size: .bits256)

    /// The key drawn at init.
    func sealingKey() throws -> SymmetricKey { key }
}
