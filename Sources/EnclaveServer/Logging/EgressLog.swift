import Foundation
import Logging

/// Where apps' HTTPS requests are counted (`enclave_egress_requests_total`) and their failures
/// logged (`info`: a failed request is the app's answer, not the server's fault). The guest
/// chooses the URL, so only its host is logged, through `LogText.field`.
struct EgressLog: Sendable {
    let logger: Logger
    let metrics: ServerMetrics

    /// A request that was answered (`error` nil) or failed with `error`.
    func outcome(url: String, error: String?) {
        metrics.egress(failed: error != nil)
        guard let error else { return }
        logger.info("egress request failed: \(LogText.field(error, maxBytes: 1024))", metadata: [
            "host": "\(LogText.field(URLComponents(string: url)?.host ?? "?"))",
            "error_kind": "egress",
        ])
    }
}
