import Attestation
import Dispatch
import Foundation
import NIOCore
import NIOSSL

/// The RA-TLS identity (docs/attestation.md): attested certificates from an `AttestationProvider`.
///
/// - Default certificate (no SNI, or an SNI that is no app's): `.server` facts — the egress
///   CA bundle hash and the combined hash of the loaded apps — bound deterministically
///   (NotBefore truncated to the minute), one certificate for every client.
/// - SNI = a loaded app's hostname: that app's own deterministic certificate (`.app` facts:
///   code hash, key source).
/// - ClientHello extension `0xFFBB`: a certificate bound to that nonce, made for this
///   connection only, for the app the SNI names or else for the server.
///
/// Rotation: every load and unload re-issues the certificates before the registry call returns
/// (so a client that has seen `loaded` and reconnects sees the new state), each with a fresh
/// `NIOSSLContext`, so session tickets from before cannot resume into an old certificate.
/// If issuance fails, connections are refused until it succeeds: a stale attestation is never
/// served as current.
public final class RATLSIdentity: ServerIdentityProvider {
    /// Certificates issued for one state of the registry.
    private struct Issued: Sendable {
        var server: IssuedCertificate
        /// Keyed by lowercased hostname.
        var apps: [String: (facts: AppFacts, issued: IssuedCertificate)]
    }

    /// Why no certificate can be served.
    public enum IdentityFailure: Error, CustomStringConvertible {
        /// Issuing the deterministic certificates failed; the text is the underlying error.
        case issuanceFailed(String)
        /// Too many challenge certificates are being made at once.
        case challengeCapacity(Int)

        public var description: String {
            switch self {
            case .issuanceFailed(let why):
                return "RA-TLS certificates could not be issued (\(why)); connections are refused until issuance succeeds"
            case .challengeCapacity(let limit):
                return "more than \(limit) challenge certificates in progress; retry shortly"
            }
        }
    }

    /// Challenge certificates being made at once, at most: each costs a fresh key and TEE
    /// evidence, and an unauthenticated client can ask for one per connection.
    public static let maxConcurrentChallenges = 16

    /// The attestation backend (simulated, gramine-sgx, tsm).
    public let provider: any AttestationProvider
    /// SHA-256 of the egress CA bundle loaded at start (extension `65230.2.1`).
    public let egressCABundleHash: [UInt8]
    /// DNS names of the default certificate.
    public let hostnames: [String]

    private let builder: AttestedCertificateBuilder
    private let registry: AppRegistry
    private let clock: @Sendable () -> Date
    private let log: @Sendable (String) -> Void
    private let state = Locked<Result<Issued, IdentityFailure>>(.failure(.issuanceFailed("not issued yet")))
    /// Serialises re-issuance so the last one to run always reflects the newest registry state.
    private let issuance = NSLock()
    private let challengesInFlight = Locked(0)
    private let queue = DispatchQueue(label: "enclave-os.ratls.issuance", attributes: .concurrent)

    /// Issues the first certificates and starts following `registry`.
    /// - Parameters:
    ///   - provider: where evidence comes from.
    ///   - egressCABundleHash: SHA-256 of the egress trust bundle (32 bytes).
    ///   - registry: the app registry whose loads and unloads rotate the certificates.
    ///   - hostnames: DNS names for the default certificate.
    ///   - validity: certificate lifetime; deterministic certificates are re-issued at half of it.
    ///   - issuer: an operator CA that signs the leaves (served as `[leaf, CA]`); nil: self-signed.
    ///   - clock: the current time (tests may pin it).
    ///   - log: one line per rotation or failure.
    /// - Throws: ``IdentityFailure/issuanceFailed(_:)`` when the first issuance fails (a broken
    ///   TEE device should stop the server at start, not at the first connection).
    public init(
        provider: any AttestationProvider,
        egressCABundleHash: [UInt8],
        registry: AppRegistry,
        hostnames: [String] = ["localhost"],
        validity: TimeInterval = 86_400,
        issuer: CertificateIssuer? = nil,
        clock: @escaping @Sendable () -> Date = { Date() },
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws {
        self.provider = provider
        self.egressCABundleHash = egressCABundleHash
        self.hostnames = hostnames
        self.builder = AttestedCertificateBuilder(provider: provider, validity: validity, issuer: issuer)
        self.registry = registry
        self.clock = clock
        self.log = log
        registry.observeChanges { [weak self] _ in
            // The list passed in may already be outdated when two loads race; `reissue` reads
            // the registry itself under the issuance lock instead.
            self?.reissue(reason: "apps changed")
        }
        reissue(reason: "start")
        if case .failure(let failure) = state.withLock({ $0 }) { throw failure }
    }

    /// The default (server) certificate's context.
    public func currentContext() throws -> NIOSSLContext {
        try current().server.context
    }

    /// The default certificate now served, DER (for tests and operators).
    public func serverCertificate() throws -> AttestedCertificate {
        try current().server.certificate
    }

    /// The per-app certificate served for SNI `hostname`, if that app has one.
    public func appCertificate(hostname: String) throws -> AttestedCertificate? {
        try current().apps[hostname.lowercased()]?.issued.certificate
    }

    /// Picks the context for one connection; see the type's documentation.
    public func context(for hello: ClientHelloSummary, on eventLoop: EventLoop) -> EventLoopFuture<NIOSSLContext> {
        if let issued = fresh() { return select(issued, for: hello, on: eventLoop) }
        // Renewal (half the validity has passed) or a failed issuance being retried: evidence
        // may come from a device, so never on the event loop.
        let promise = eventLoop.makePromise(of: Issued.self)
        queue.async { [self] in promise.completeWith(Result { try current() }) }
        return promise.futureResult.flatMap { [self] issued in select(issued, for: hello, on: eventLoop) }
    }

    private func select(_ issued: Issued, for hello: ClientHelloSummary, on eventLoop: EventLoop) -> EventLoopFuture<NIOSSLContext> {
        let app = hello.serverName.flatMap { issued.apps[$0] }
        guard let nonce = hello.challengeNonce else {
            return eventLoop.makeSucceededFuture(app?.issued.context ?? issued.server.context)
        }
        let identity: CertificateIdentity
        do {
            identity = try app.map { .app($0.facts) } ?? .server(serverFacts(registry.all()))
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let admitted = challengesInFlight.withLock { count -> Bool in
            guard count < Self.maxConcurrentChallenges else { return false }
            count += 1
            return true
        }
        guard admitted else { return eventLoop.makeFailedFuture(IdentityFailure.challengeCapacity(Self.maxConcurrentChallenges)) }
        // Evidence may come from a device (Gramine, configfs-tsm): never on the event loop.
        let promise = eventLoop.makePromise(of: NIOSSLContext.self)
        let (builder, clock, challenges) = (self.builder, self.clock, self.challengesInFlight)
        queue.async {
            defer { challenges.withLock { $0 -= 1 } }
            let now = clock()
            promise.completeWith(Result { try IssuedCertificate(identity, mode: .challenge(nonce: nonce, now: now), builder: builder, now: now).context })
        }
        return promise.futureResult
    }

    /// The issued certificates, re-issuing first if they are about to expire.
    private func current() throws -> Issued {
        if let issued = fresh() { return issued }
        reissue(reason: "renewal")
        return try state.withLock { try $0.get() }
    }

    /// The issued certificates unless issuance failed or half their validity has passed.
    private func fresh() -> Issued? {
        guard case .success(let issued) = state.withLock({ $0 }),
              clock().timeIntervalSince(issued.server.issuedAt) < builder.validity / 2
        else { return nil }
        return issued
    }

    /// Issues the server certificate and the per-app certificates for the registry as it is
    /// now. Unchanged apps keep their certificate (and context).
    private func reissue(reason: String) {
        issuance.lock()
        defer { issuance.unlock() }
        let apps = registry.all()
        let now = clock()
        let previous = try? state.withLock { try $0.get() }
        do {
            let server = try IssuedCertificate(.server(serverFacts(apps)), mode: .deterministic(now: now), builder: builder, now: now)
            var issuedApps: [String: (facts: AppFacts, issued: IssuedCertificate)] = [:]
            for app in apps {
                let facts = try appFacts(app)
                let key = facts.hostname
                if let kept = previous?.apps[key], kept.facts == facts, now.timeIntervalSince(kept.issued.issuedAt) < builder.validity / 2 {
                    issuedApps[key] = kept
                    continue
                }
                do {
                    issuedApps[key] = (facts, try IssuedCertificate(.app(facts), mode: .deterministic(now: now), builder: builder, now: now))
                } catch AttestationError.invalidHostname(let name) {
                    // The app is still counted in the server's apps hash; only its own
                    // certificate is impossible (SNI for it gets the server certificate).
                    log("RA-TLS: app '\(LogText.field(app.name))': hostname '\(LogText.field(name))' cannot be a certificate DNS name; no per-app certificate")
                }
            }
            state.withLock { $0 = .success(Issued(server: server, apps: issuedApps)) }
            log("RA-TLS: certificates issued (\(reason); \(apps.count) app(s), \(provider.kind.rawValue) evidence)")
        } catch {
            state.withLock { $0 = .failure(.issuanceFailed("\(error)")) }
            log("RA-TLS: certificate issuance FAILED (\(reason)): \(error); refusing connections until it succeeds")
        }
    }

    private func serverFacts(_ apps: [LoadedApp]) throws -> ServerFacts {
        ServerFacts(egressCABundleHash: egressCABundleHash, apps: try apps.map { AttestedApp(name: $0.name, codeHash: try Self.codeHash($0)) }, hostnames: hostnames)
    }

    private func appFacts(_ app: LoadedApp) throws -> AppFacts {
        AppFacts(hostname: app.hostname.lowercased(), codeHash: try Self.codeHash(app), keySource: app.key.keySource,
                 egressCABundleHash: egressCABundleHash, appExtensions: app.sdk?.attestation?.current ?? [:])
    }

    /// The app's code hash as raw bytes. The registry stores hex it computed itself, so a
    /// failure here is a bug; it fails issuance rather than attest an incomplete apps list.
    private static func codeHash(_ app: LoadedApp) throws -> [UInt8] {
        guard let bytes = Attestation.Hex.decode(app.codeHash), bytes.count == 32 else {
            throw AttestationError.invalidHashLength(field: "code hash of '\(app.name)'", length: app.codeHash.utf8.count / 2)
        }
        return bytes
    }
}
