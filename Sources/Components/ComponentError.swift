/// Everything that can go wrong loading or calling a component. The description is the
/// message shown to clients (after `call failed: ` for call-time errors), so it names the
/// problem plainly.
public enum ComponentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are a core module, not a component.
    case notAComponent(String)
    /// The binary is malformed; the text says where and what.
    case malformed(String)
    /// The binary decodes but breaks a validation rule of the Component Model (a type mismatch,
    /// an index out of bounds, a name that may not be exported, …); the text names the rule.
    case invalid(String)
    /// A valid construct we do not support (yet).
    case unsupported(String)
    /// An import the host does not provide, named as the component spells it.
    case missingImport(String)
    /// The guest trapped; the text names the trap.
    case trap(String)
    /// The call used up its fuel budget.
    case outOfFuel
    /// The instance tried to grow its memory beyond the limit.
    case memoryLimit(Int)
    /// Values lifted out of the guest in one step (a call's result, or the arguments of one
    /// host-import call) would take more host memory than `ExecutionLimits.maxResultBytes`.
    /// `atLeast` is what was counted when the limit was passed; lifting stops there.
    case valuesTooLarge(what: String, atLeast: Int, limit: Int)
    /// Arguments did not match the signature.
    case badArguments(String)
    /// No export of that name.
    case noSuchExport(String)

    public var description: String {
        switch self {
        case .notAComponent(let why): return "not a WebAssembly component: \(why)"
        case .malformed(let why): return "malformed component: \(why)"
        case .invalid(let why): return "invalid component: \(why)"
        case .unsupported(let why): return "unsupported: \(why)"
        case .missingImport(let name): return "missing import: \(name) is not provided by this host"
        case .trap(let why): return "trap: \(why)"
        case .outOfFuel: return "out of fuel"
        case .memoryLimit(let bytes): return "memory limit exceeded (\(bytes) bytes)"
        case .valuesTooLarge(let what, let atLeast, let limit):
            return "\(what) of at least \(atLeast) bytes exceeds the per-call limit of \(limit) bytes on values passed to the host"
        case .badArguments(let why): return why
        case .noSuchExport(let name): return "no export '\(name)'"
        }
    }

    /// The text after the kind prefix, for wrapping an error with more context.
    var reason: String {
        switch self {
        case .notAComponent(let why), .malformed(let why), .invalid(let why), .unsupported(let why),
             .trap(let why), .badArguments(let why):
            return why
        case .missingImport(let name): return "\(name) is not provided by this host"
        case .outOfFuel: return "out of fuel"
        case .memoryLimit(let bytes): return "memory limit exceeded (\(bytes) bytes)"
        case .noSuchExport(let name): return "no export '\(name)'"
        case .valuesTooLarge: return description
        }
    }
}
