import AsyncHTTPClient
import Attestation
import NIOCore
import NIOHTTP1
import NIOSSL

/// Optional remote appraisal: POSTs the evidence to an attestation server in the original's
/// request shape (``RemoteAppraisal``) and records `remote-appraisal` in the report.
///
/// Blocking (it waits for the answer): call it from a thread that may block, never from an
/// event loop. Only `https://` URLs are accepted: the verdict decides whether a server is
/// trusted, so it must not cross the network in clear.
public struct RemoteAppraiser: Sendable {
    /// The endpoint, e.g. `https://as.example/verify`.
    public var url: String
    /// Sent as `Authorization: Bearer <token>` when set.
    public var token: String?
    /// PEM trust anchors for the server's certificate; nil trusts the system's roots.
    public var trustRootsPEM: [UInt8]?
    /// Statuses accepted (`TCB_REVOKED` never is).
    public var acceptedStatuses: [String]
    /// Limit for the whole exchange.
    public var timeout: TimeAmount

    /// Creates an appraiser.
    public init(url: String, token: String? = nil, trustRootsPEM: [UInt8]? = nil, acceptedStatuses: [String] = ["OK"], timeout: TimeAmount = .seconds(10)) {
        self.url = url
        self.token = token
        self.trustRootsPEM = trustRootsPEM
        self.acceptedStatuses = acceptedStatuses
        self.timeout = timeout
    }

    /// Appraises `evidence` and appends the `remote-appraisal` check to `report`.
    public func appraise(evidence: [UInt8], into report: inout VerificationReport) {
        let (passed, detail) = exchange(evidence)
        report.append(.init(name: "remote-appraisal", passed: passed, detail: "\(url): \(detail)"))
    }

    private func exchange(_ evidence: [UInt8]) -> (Bool, String) {
        guard url.hasPrefix("https://") else { return (false, "appraisal URL must be https://") }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let trustRootsPEM {
            guard let roots = try? NIOSSLCertificate.fromPEMBytes(trustRootsPEM), !roots.isEmpty else {
                return (false, "appraisal CA file holds no PEM certificate")
            }
            tls.trustRoots = .certificates(roots)
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        defer { try? client.syncShutdown() }
        do {
            var request = try HTTPClient.Request(url: url, method: .POST)
            request.headers.add(name: "Content-Type", value: "application/json")
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            request.body = .bytes(RemoteAppraisal.requestBody(evidence: evidence))
            let accumulator = ResponseAccumulator(request: request, maxBodySize: RemoteAppraisal.maxResponseSize)
            let response = try client.execute(request: request, delegate: accumulator, deadline: .now() + timeout).wait()
            guard response.status == .ok else { return (false, "HTTP \(response.status.code) \(response.status.reasonPhrase)") }
            let body = response.body.map { Array($0.readableBytesView) } ?? []
            let verdict = RemoteAppraisal.verdict(responseBody: body, accepted: acceptedStatuses)
            return (verdict.accepted, "\(verdict.detail); accepted: \(acceptedStatuses.joined(separator: ", "))")
        } catch {
            return (false, "\(error)")
        }
    }
}
