import Components

/// Why a call failed: the `kind` label of `enclave_call_errors_total` and the `error_kind` of
/// the call's log line. Decided from the error's type, never from its text.
enum CallErrorKind: String, CaseIterable, Sendable {
    /// The app or export does not exist, the caller's credential or the arguments do not match.
    case request
    /// The guest trapped.
    case trap
    case outOfFuel = "out_of_fuel"
    /// The instance tried to grow its memory past the cap.
    case memory
    /// The result (or values passed to the host) was over a result limit.
    case resultLimit = "result_limit"
    /// The call ran past its wall-clock limit.
    case timeLimit = "time_limit"
    /// The server stopped the call (shutdown).
    case stopped
    /// The host failed around the call (e.g. the app's files could not be sealed back).
    case host
    /// Any other component error.
    case other

    /// The kind of a component error.
    init(_ error: ComponentError) {
        switch error {
        case .trap: self = .trap
        case .outOfFuel: self = .outOfFuel
        case .memoryLimit: self = .memory
        case .valuesTooLarge: self = .resultLimit
        case .timeLimit: self = .timeLimit
        case .stopped: self = .stopped
        case .badArguments, .noSuchExport: self = .request
        case .notAComponent, .malformed, .invalid, .unsupported, .missingImport: self = .other
        }
    }

    /// Whether the call's fuel figure means anything: a stopped or timed-out call had its
    /// budget zeroed by the server, not spent by the guest.
    var fuelIsMeaningful: Bool {
        self != .timeLimit && self != .stopped
    }
}
