import Egress
import HostInterfaces
import Logging

/// Where apps' HTTPS requests are counted (`enclave_egress_requests_total`) and their failures
/// logged (`info`: a failed request is an answer to the app, not a fault of the server). The
/// error text names the host; it is written through `LogText.field` because the guest chose
/// the URL.
struct EgressLog: Sendable {
    let logger: Logger
    let metrics: ServerMetrics

    /// The outcome of one request that was sent (answered, whatever its status, or failed).
    func outcome(_ outcome: HTTPSFetchInterface.Outcome) {
        switch outcome {
        case .success:
            metrics.egress(failed: false)
        case .failure(let error):
            metrics.egress(failed: true)
            logger.info("egress request failed: \(LogText.field(error.description, maxBytes: 1024))",
                        metadata: ["error_kind": "egress"])
        }
    }
}
