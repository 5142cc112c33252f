import Foundation

/// Server-wide facts for the default (no SNI match) certificate.
public struct ServerFacts: Sendable, Equatable {
    /// SHA-256 of the egress CA bundle as loaded at start (32 bytes).
    public var egressCABundleHash: [UInt8]
    /// Every loaded app; order does not matter (``AppsHash`` sorts).
    public var apps: [AttestedApp]
    /// DNS names for the subjectAltName (e.g. `localhost`); may be empty.
    public var hostnames: [String]

    /// Creates server facts.
    public init(egressCABundleHash: [UInt8], apps: [AttestedApp], hostnames: [String] = []) {
        self.egressCABundleHash = egressCABundleHash
        self.apps = apps
        self.hostnames = hostnames
    }
}

/// Facts of one app, for its own certificate served by SNI.
public struct AppFacts: Sendable, Equatable {
    /// The app's hostname: the certificate's only DNS subjectAltName.
    public var hostname: String
    /// SHA-256 of the app's component bytes (32 bytes).
    public var codeHash: [UInt8]
    /// `generated` or `byok:<hex sha256 of the key>`.
    public var keySource: String
    /// SHA-256 of the egress CA bundle the app's HTTPS client trusts (32 bytes).
    public var egressCABundleHash: [UInt8]
    /// Values the app chose with `set-attestation-extension`, by arc: each is served raw under
    /// `1.3.6.1.4.1.65230.3.5.<arc>` (not part of the per-app config root).
    public var appExtensions: [UInt32: [UInt8]]

    /// Creates app facts.
    public init(hostname: String, codeHash: [UInt8], keySource: String, egressCABundleHash: [UInt8],
                appExtensions: [UInt32: [UInt8]] = [:]) {
        self.appExtensions = appExtensions
        self.hostname = hostname
        self.codeHash = codeHash
        self.keySource = keySource
        self.egressCABundleHash = egressCABundleHash
    }
}

/// Which certificate to build.
public enum CertificateIdentity: Sendable, Equatable {
    /// The server certificate: config root, egress bundle hash, combined apps hash.
    case server(ServerFacts)
    /// A per-app certificate: per-app config root, code hash, key source, egress bundle hash.
    case app(AppFacts)
}

/// How the report data is made fresh.
public enum BindingMode: Sendable, Equatable {
    /// Bind to NotBefore truncated to the minute; one certificate serves every client.
    case deterministic(now: Date)
    /// Bind to the client's nonce; a certificate for one connection.
    case challenge(nonce: [UInt8], now: Date)
}
