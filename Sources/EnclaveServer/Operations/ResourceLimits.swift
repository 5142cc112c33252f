/// What clients may make the server hold: apps, their stored data, connections and the time a
/// connection may take. Each limit is a server option with a default, and each refusal names
/// the limit and the option (docs/operations.md lists them all).
public struct ResourceLimits: Sendable, Hashable {
    /// Apps stored at once, served or not (quarantined apps count: they keep their data).
    /// Option `--max-apps`.
    public var maxApps: Int
    /// What one app may keep in its sealed store, in bytes as stored (sealed values and names).
    /// Option `--max-app-storage-mib`.
    public var maxAppStorageBytes: Int
    /// Entries one app may keep: each file, its timestamps, each directory, each key-value entry.
    /// Option `--max-app-entries`.
    public var maxAppEntries: Int
    /// Connections open at once; more are closed as soon as they are accepted.
    /// Option `--max-connections`.
    public var maxConnections: Int
    /// A connection that sends nothing, receives nothing and has no request in progress for
    /// this long is closed. Option `--idle-timeout`.
    public var idleTimeoutSeconds: Int
    /// Accept to completed TLS handshake, at most. Option `--handshake-timeout`.
    public var handshakeTimeoutSeconds: Int

    /// The defaults (see docs/operations.md).
    public init(maxApps: Int = 1024, maxAppStorageBytes: Int = 256 << 20, maxAppEntries: Int = 100_000,
                maxConnections: Int = 1024, idleTimeoutSeconds: Int = 120, handshakeTimeoutSeconds: Int = 10) {
        self.maxApps = maxApps
        self.maxAppStorageBytes = maxAppStorageBytes
        self.maxAppEntries = maxAppEntries
        self.maxConnections = maxConnections
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.handshakeTimeoutSeconds = handshakeTimeoutSeconds
    }
}
