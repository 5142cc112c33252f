/// Guest misbehaviour that ends the call (a trap), as opposed to a `WASIErrorCode`, which the
/// guest receives as a value. The bindings turn these into `ComponentError.trap` with
/// `description` as the reason, so the client sees what the app did wrong.
public enum WASIHostFault: Error, Equatable, CustomStringConvertible {
    /// A handle the host does not know (the component layer should make this impossible).
    case badHandle(String)
    /// A per-call table is full.
    case resourceExhausted(String)
    /// A call the WASI spec says must not be made (e.g. writing past `check-write`).
    case protocolViolation(String)
    /// `poll`/`block` would exceed the call's blocking budget.
    case blockedTooLong(limitNanoseconds: UInt64)
    /// `wasi:cli/exit` was called; `success` is true for `exit(ok)`.
    case exit(success: Bool)
    /// `wasi:random` was asked for more than its per-call cap.
    case random(EntropySource.Failure)

    /// The trap reason shown to the client.
    public var description: String {
        switch self {
        case .badHandle(let why): return "wasi: \(why)"
        case .resourceExhausted(let why): return "wasi: \(why)"
        case .protocolViolation(let why): return "wasi: \(why)"
        case .blockedTooLong(let limit):
            return "wasi:io/poll: the call would block for more than \(limit / 1_000_000) ms in total"
        case .exit(let success):
            return success ? "the app called wasi:cli/exit with success" : "the app called wasi:cli/exit with an error status"
        case .random(let failure): return failure.description
        }
    }
}
