import Attestation
import EnclaveClient
import EnclaveProtocol
import Foundation
import NIOConcurrencyHelpers

/// The console's side of the server: one RA-TLS connection, verified before any request (the
/// browser talks only to this process on 127.0.0.1 and never sees the server's certificate),
/// opened again, and verified again, when it breaks. Export signatures are cached per app.
final class ConsoleBackend: Sendable {
    /// Where the server is and what its certificate must show.
    struct Target: Sendable {
        let host: String
        let port: Int
        let serverName: String?
        let verification: TLSVerification
        let expectations: VerificationExpectations

        /// The expectations checked at `time`: the console runs for hours, and the server
        /// issues a new certificate (a new NotBefore) at every load and unload.
        func expectations(at time: Date) -> VerificationExpectations {
            var current = expectations
            current.now = time
            return current
        }

        /// The connection's verification, checked at `time`.
        func verification(at time: Date) -> TLSVerification {
            switch verification {
            case .noVerification: return .noVerification
            case .attested: return .attested(expectations(at: time))
            case .attestedAndAppraised(_, let appraiser): return .attestedAndAppraised(expectations(at: time), appraiser)
            }
        }
    }

    let target: Target
    private let state = NIOLockedValueBox(State())

    private struct State {
        var connection: EnclaveConnection?
        var schemas: [String: AppSchema] = [:]
        /// Loads in progress, by app name, for the page's progress bar.
        var loads: [String: LoadProgress] = [:]
    }

    init(target: Target) {
        self.target = target
    }

    /// The server's certificate, fetched afresh and checked with every check reported (the
    /// apps hash changes with every load and unload, so this is never cached).
    func attestation() throws -> VerificationReport {
        let der = try PeerCertificateFetcher.fetch(host: target.host, port: target.port, serverName: target.serverName)
        var report = AttestationVerifier(expectations: target.expectations(at: Date())).verify(certificateDER: der)
        if case .attestedAndAppraised(_, let appraiser) = target.verification,
           let evidence = AttestationVerifier.hardwareEvidence(certificateDER: der) {
            appraiser.appraise(evidence: evidence, into: &report)
        }
        return report
    }

    /// Sends a management message over the verified connection; a broken connection is
    /// replaced once (and the new one verified) before giving up.
    func management(_ message: JSON) throws -> JSON {
        do {
            return try connection().management(message)
        } catch let error as EnclaveClientError where Self.isConnectionProblem(error) {
            drop()
            return try connection().management(message)
        }
    }

    /// Loads `bytes` as app `name` (streamed in chunks above one frame's worth), recording
    /// its progress for ``progress(of:)``.
    func load(name: String, bytes: [UInt8], hostname: String?) throws -> AppSummary {
        defer {
            state.withLockedValue { $0.loads[name] = nil }
            invalidate(app: name)
        }
        return try connection().load(name: name, source: ComponentSource(bytes: bytes, label: name), hostname: hostname,
                                     progress: { [state] update in state.withLockedValue { $0.loads[name] = update } })
    }

    /// Where the load of `name` is, while it runs.
    func progress(of name: String) -> LoadProgress? {
        state.withLockedValue { $0.loads[name] }
    }

    /// The signatures of `app`'s exports, cached until it is loaded or unloaded again.
    func schema(app: String) throws -> AppSchema {
        if let cached = state.withLockedValue({ $0.schemas[app] }) { return cached }
        let response = try management(ManagementMessages.schema(app: app))
        guard response["status"]?.stringValue == "schema" else {
            throw EnclaveClientError.requestFailed(response["message"]?.stringValue ?? "no schema for '\(app)'")
        }
        let schema = try AppSchema(json: response)
        state.withLockedValue { $0.schemas[app] = schema }
        return schema
    }

    /// Forgets the cached signature of `app`.
    func invalidate(app: String) {
        state.withLockedValue { $0.schemas[app] = nil }
    }

    func close() {
        drop()
    }

    private func connection() throws -> EnclaveConnection {
        if let open = state.withLockedValue({ $0.connection }) { return open }
        // Frames: a streamed load pipelines its chunks and reports each acknowledgement, which
        // the page's progress bar follows.
        let fresh = try EnclaveConnection.connect(host: target.host, port: target.port, serverName: target.serverName,
                                                  verification: target.verification(at: Date()), protocol: .frames)
        return state.withLockedValue { state in
            if let raced = state.connection {
                fresh.close()
                return raced
            }
            state.connection = fresh
            return fresh
        }
    }

    private func drop() {
        let old = state.withLockedValue { state -> EnclaveConnection? in
            defer { state.connection = nil }
            return state.connection
        }
        old?.close()
    }

    private static func isConnectionProblem(_ error: EnclaveClientError) -> Bool {
        switch error {
        case .connectionClosed, .timedOut, .connectionFailed, .tlsHandshakeFailed: return true
        default: return false
        }
    }
}
