import Components
import EnclaveProtocol

/// A call whose app, export and arguments have been checked, with the limits it runs under
/// (`AppRuntime.prepare`); `AppRuntime.run` executes it.
struct AppCall: Sendable {
    let app: LoadedApp
    let function: ExportedFunction
    let arguments: [ComponentValue]
    let limits: CallLimits
    /// The connection and request the call came from, for its log line.
    var origin = RequestOrigin.none
}

/// Everything that bounds one call, decided before it is scheduled.
struct CallLimits: Sendable, Hashable {
    /// Fuel, linear-memory cap, lifted-value cap and wall-clock limit (the app's).
    let execution: ExecutionLimits
    /// The host memory the results' typed JSON may take (see `ResultFootprint`).
    let resultMemoryBytes: Int
    /// Whether the call may run on the event loop that received it: only calls whose fuel bounds
    /// their guest compute to a short run (`InlineCallHistory.maxInlineFuel`); the export's record
    /// of past runs decides the rest (`CallScheduler`).
    let mayRunInline: Bool

    /// The limits of a call under the app's `execution` limits.
    init(_ execution: ExecutionLimits, resultMemoryBytes: Int) {
        self.execution = execution
        self.resultMemoryBytes = resultMemoryBytes
        self.mayRunInline = execution.fuel <= InlineCallHistory.maxInlineFuel
    }

    /// The most fuel the call may burn.
    var fuel: UInt64 { execution.fuel }
    /// The call's wall-clock limit; nil: none.
    var timeLimit: Duration? { execution.timeLimit }
}

/// How one call ended: the single source the response, the metrics (`enclave_call_errors_total`)
/// and the call's log line (`error_kind`) are made from.
enum AppCallOutcome: Sendable, Equatable {
    /// The export returned these results, within the result limits.
    case returned([ComponentValue])
    /// The call failed: the kind (by the error's type, never its text) and the text clients see
    /// (`call failed: out of fuel`, or the result-limit refusal).
    case failed(CallErrorKind, message: String)

    /// The failure's kind; nil when the call returned.
    var failure: CallErrorKind? {
        if case .failed(let kind, _) = self { return kind }
        return nil
    }

    /// The management response: the results as typed JSON against `function`'s signature, or
    /// the error text.
    func response(for function: ExportedFunction) -> ManagementResponse {
        switch self {
        case .returned(let results): return .ok(returns: TypedValueCodec.encodeResults(results, for: function))
        case .failed(_, let message): return .error(message)
        }
    }
}
