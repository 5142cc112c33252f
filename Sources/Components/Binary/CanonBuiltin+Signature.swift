/// The core function types of the canonical built-ins (CanonicalABI.md), in one place for the
/// validator and the linker.
extension CanonBuiltin {
    /// The built-in's core type; nil for `task.return`, whose parameters flatten its result type.
    var fixedCoreSignature: CoreFuncType? {
        func f(_ params: [CoreValType], _ results: [CoreValType]) -> CoreFuncType { CoreFuncType(params: params, results: results) }
        switch self {
        case .taskReturn: return nil
        case .taskCancel, .backpressureInc, .backpressureDec: return f([], [])
        case .backpressureSet, .contextSet: return f([.i32], [])
        case .contextGet, .threadYield, .threadIndex, .threadSuspend, .waitableSetNew: return f([], [.i32])
        case .subtaskCancel, .threadSuspendThenResume, .threadYieldThenResume, .threadSuspendThenPromote, .threadYieldThenPromote,
             .streamCancelRead, .streamCancelWrite, .futureCancelRead, .futureCancelWrite:
            return f([.i32], [.i32])
        case .subtaskDrop, .errorContextDrop, .waitableSetDrop, .threadResumeLater,
             .streamDropReadable, .streamDropWritable, .futureDropReadable, .futureDropWritable:
            return f([.i32], [])
        case .streamNew, .futureNew: return f([], [.i64])
        case .streamRead, .streamWrite: return f([.i32, .i32, .i32], [.i32])
        case .futureRead, .futureWrite, .waitableSetWait, .waitableSetPoll, .errorContextNew, .threadNewIndirect:
            return f([.i32, .i32], [.i32])
        case .errorContextDebugMessage, .waitableJoin: return f([.i32, .i32], [])
        case .threadSpawnRef: return f([.i32], [.i32])
        case .threadSpawnIndirect: return f([.i32, .i32], [.i32])
        case .threadAvailableParallelism: return f([], [.i32])
        }
    }

    /// The built-in's name as the text format spells it, for messages.
    var name: String {
        let label = String(describing: self)
        let base = label.prefix { $0 != "(" }
        var out = ""
        for character in base {
            if character.isUppercase { out += out.isEmpty ? "" : "."; out += character.lowercased() } else { out.append(character) }
        }
        return out
    }
}
