import EnclaveProtocol
import Logging

/// The log line of one finished call: `debug` when it succeeded (a busy server makes many),
/// `info` when the guest failed (trap, out of fuel, limits), `notice` when the host did.
///
/// Cheap when the level is off: the message and metadata are autoclosures, built only for a
/// line that is written, so a successful call at the default `info` level allocates nothing here.
struct CallOutcome {
    let app: String
    let function: String
    let origin: RequestOrigin
    let nanoseconds: Int64
    /// Fuel the call used, when known.
    let fuel: UInt64?
    let failure: CallErrorKind?

    func log(_ response: ManagementResponse, to logger: Logger) {
        guard let failure else {
            logger.debug("call ok", metadata: metadata())
            return
        }
        let level: Logger.Level = failure == .host ? .notice : .info
        logger.log(level: level, "\(Self.reason(response))", metadata: metadata(failure))
    }

    private func metadata(_ failure: CallErrorKind? = nil) -> Logger.Metadata {
        var fields = origin.metadata
        fields["app"] = "\(LogText.field(app))"
        fields["function"] = "\(LogText.field(function))"
        fields["duration_us"] = .stringConvertible(nanoseconds / 1000)
        if let fuel { fields["fuel"] = .stringConvertible(fuel) }
        if let failure { fields["error_kind"] = "\(failure.rawValue)" }
        return fields
    }

    /// The client's error text (`call failed: trap: …`), made safe for a log line.
    private static func reason(_ response: ManagementResponse) -> String {
        guard case .error(let message) = response else { return "call failed" }
        return LogText.field(message, maxBytes: 1024)
    }

    /// Fuel used out of `limit` with `left` remaining; nil when unknown or meaningless.
    static func fuelUsed(limit: UInt64, left: UInt64?, failure: CallErrorKind?) -> UInt64? {
        guard let left, left <= limit, failure?.fuelIsMeaningful ?? true else { return nil }
        return limit - left
    }
}
