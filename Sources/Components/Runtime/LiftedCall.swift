import WasmKit

extension ComponentInstance {
    /// Calls a lifted function (definitions.py `canon_lift`): lowers the arguments into its
    /// component instance, invokes the core function, lifts the results, hands them to
    /// `deliver` (a caller lowers them there), then runs `post-return` with the instance barred
    /// from leaving. An async-lifted function's results come from its `task.return`.
    @discardableResult
    func call(_ lifted: LiftedFunction, _ arguments: [ComponentValue], name: String = "export", deliver: (([ComponentValue]) throws -> Void)? = nil) throws -> [ComponentValue] {
        if let reason = lifted.unsupported {
            throw ComponentError.trap("unsupported: \(name) uses \(reason), which calls cannot carry here")
        }
        let state = states[lifted.instance]
        let callerContext = state.beginTask()
        defer { state.endTask(restoring: callerContext) }
        do {
            let access = try access(lifted.options, instance: lifted.instance, name, lifted: .result)
            let core = try function(lifted.coreFunction)
            let layout = lifted.layout

            var flatArguments: [Value] = []
            if layout.flatParamCount > CanonicalABI.maxFlatParams {
                let tuple = layout.paramTuple
                let pointer = try access.allocate(size: tuple.size, alignment: tuple.alignment, "arguments")
                try CanonicalABI.store(access, .tuple(arguments), tuple, at: pointer)
                flatArguments = [.i32(UInt32(pointer))]
            } else {
                for (argument, param) in zip(arguments, layout.params) {
                    try CanonicalABI.lowerFlat(access, argument, param, into: &flatArguments)
                }
            }

            let expected = CanonicalABI.liftedSignature(lifted)
            let actual = try functionType(lifted.coreFunction)
            guard actual.parameters == expected.params, actual.results == expected.results else {
                throw ComponentError.trap("core function has type \(actual.parameters) -> \(actual.results), but the WIT signature needs \(expected.params) -> \(expected.results)")
            }
            let results: [ComponentValue]
            let coreResults: [Value]
            if lifted.isAsync {
                state.tasks.append(InstanceState.TaskRecord(resultType: lifted.type.results.first?.type, results: nil))
                defer { state.tasks.removeLast() }
                coreResults = try stacks.invoke(core, flatArguments)
                if lifted.options.callback != nil {
                    guard coreResults.count == 1, case .i32(let code) = coreResults[0], code & 0xF == 0 else {
                        throw ComponentError.trap("unsupported: \(name) is an async export that waits or yields, which this host does not run")
                    }
                }
                guard let delivered = state.tasks.last?.results else {
                    throw ComponentError.trap("\(name): async export returned without calling task.return")
                }
                results = delivered
            } else {
                coreResults = try stacks.invoke(core, flatArguments)
                if layout.flatResultCount > CanonicalABI.maxFlatResults {
                    guard coreResults.count == 1, case .i32(let pointer) = coreResults[0] else {
                        throw ComponentError.trap("expected a return pointer from the core function")
                    }
                    try access.checkAlignment(Int(pointer), layout.resultTuple.alignment, "return area")
                    guard case .tuple(let loaded) = try CanonicalABI.load(access, layout.resultTuple, at: Int(pointer)) else { return [] }
                    results = loaded
                } else {
                    results = try FlatCursor.over(coreResults) { cursor in
                        try layout.results.map { try CanonicalABI.liftFlat(access, &cursor, $0) }
                    }
                }
            }
            try deliver?(results)
            if let postReturn = lifted.options.postReturn {
                state.mayLeave = false
                defer { state.mayLeave = true }
                try stacks.invoke(function(postReturn), coreResults)
            }
            try state.handles.checkBorrowsReleased(name)
            if limiter.exceedsTotal { throw ComponentError.memoryLimit(limiter.maxBytes) }
            return results
        }
    }
}

extension CanonicalABI {
    /// The core type a lifted function's core function must have.
    /// Built from the function's precomputed layout: it is checked on every call.
    static func liftedSignature(_ lifted: LiftedFunction) -> (params: [ValueType], results: [ValueType]) {
        var params = lifted.layout.paramTuple.flat
        if params.count > maxFlatParams { params = [.i32] }
        guard !lifted.isAsync else { return (params, lifted.options.callback == nil ? [] : [.i32]) }
        var results = lifted.layout.resultTuple.flat
        if results.count > maxFlatResults { results = [.i32] }
        return (params, results)
    }
}

/// Turns whatever a call threw into the `ComponentError` clients see.
enum ErrorMapping {
    static func map(_ error: Error, limiter: MemoryCapLimiter?, fuelLeft: UInt64?) -> ComponentError {
        if let componentError = error as? ComponentError {
            if case .trap = componentError, let limiter, limiter.refused { return .memoryLimit(limiter.maxBytes) }
            return componentError
        }
        // WasmKit's trap reason is not public; its description is "Trap: <reason>\n<backtrace>".
        var reason = String(describing: error)
        if let newline = reason.firstIndex(of: "\n") { reason = String(reason[..<newline]) }
        if reason.hasPrefix("Trap: ") { reason = String(reason.dropFirst(6)) }
        if reason == "out of fuel" || fuelLeft == 0 { return .outOfFuel }
        if let limiter, limiter.refused || reason.contains("exceeds the resource limit") {
            return .memoryLimit(limiter.maxBytes)
        }
        if reason.hasPrefix("call stack exhausted") { return .trap("call stack exhausted") }
        return .trap(reason.isEmpty ? "unknown trap" : reason)
    }
}

extension ComponentInstance {
    /// Checks, once at load, that each lifted export's core function, realloc and post-return
    /// have the core types the canonical ABI requires (Binary.md's `canon lift` validation).
    func validate(_ exports: [String: LiftedFunction]) throws {
        // Guest resource destructors are called with the rep: `(i32) -> ()`.
        for (name, impl) in plan.resources {
            guard case .guest(let destructor?, _) = impl else { continue }
            let type = try function(destructor).type
            guard type.parameters == [.i32], type.results.isEmpty else {
                throw ComponentError.malformed("destructor of resource \(plan.resourceDisplayNames[name] ?? name) must have type (i32) -> (), not \(type.parameters) -> \(type.results)")
            }
        }
        for (name, lifted) in exports where lifted.unsupported == nil {
            let expected = CanonicalABI.liftedSignature(lifted)
            let actual = try function(lifted.coreFunction).type
            guard actual.parameters == expected.params, actual.results == expected.results else {
                throw ComponentError.malformed("canon lift of '\(name)': core function type \(actual.parameters) -> \(actual.results) does not match the flattened WIT type \(expected.params) -> \(expected.results)")
            }
            if let realloc = lifted.options.realloc {
                let type = try function(realloc).type
                guard type.parameters == [.i32, .i32, .i32, .i32], type.results == [.i32] else {
                    throw ComponentError.malformed("canon lift of '\(name)': realloc must have type (i32, i32, i32, i32) -> i32")
                }
            }
            if let postReturn = lifted.options.postReturn {
                let type = try function(postReturn).type
                guard type.parameters == expected.results, type.results.isEmpty else {
                    throw ComponentError.malformed("canon lift of '\(name)': post-return must take the core results \(expected.results) and return nothing")
                }
            }
        }
    }
}
