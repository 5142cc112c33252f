import WasmKit

// Calls that leave a component instance: to a host import (lift the guest's arguments, call
// Swift, lower the results) and to a function another component instance lifted (the fused
// adapter: lift from the caller, lower into the callee, call, lift the results, lower them into
// the caller, then run the callee's post-return). Values cross as `ComponentValue`s, which
// carry every value of every WIT type exactly; handles move between the two handle tables.

extension CanonicalABI {
    /// The core type of the function `canon lower` of a lifted function defines.
    static func fusedSignature(_ fused: FusedCall) -> (params: [ValueType], results: [ValueType]) {
        guard fused.isAsync else { return coreSignature(fused.callee.type, lifting: false) }
        var params = fused.callee.type.params.flatMap { flatten($0.type) }
        if params.count > maxFlatAsyncParams { params = [.i32] }
        if !fused.callee.type.results.isEmpty { params.append(.i32) }
        return (params, [.i32])
    }

    static let maxFlatAsyncParams = 4
    /// `Subtask.State.RETURNED`: an async-lowered call that completed before returning.
    static let subtaskReturned: UInt32 = 2
}

extension ComponentInstance {
    /// Calls the lowered host import `lowered`, the core function at index `function`, with the
    /// engine's argument buffer.
    func callHost(_ lowered: LoweredFunction, _ arguments: UnsafeBufferPointer<Value>, function index: Int) throws -> [Value] {
        try states[lowered.instance].checkMayLeave("import \(lowered.name)")
        let access = try takeHostAccess(lowered, function: index)
        // Borrows lent to the host last exactly as long as the host call (spec: lenders are
        // released when the subtask returns).
        defer {
            access.scope?.releaseLenders()
            keepHostAccess(access, function: index)
        }
        let previous = currentInstance
        currentInstance = lowered.instance
        defer { currentInstance = previous }
        var cursor = FlatCursor(arguments)
        let layout = lowered.layout
        let values = try liftArguments(layout, access, &cursor, limit: CanonicalABI.maxFlatParams, lowered.name)
        // Host work is charged and the call's time limit checked as the values cross (HostWorkFuel).
        let context = self.context
        try context.checkStop()
        try chargeFuel(HostWorkFuel.perCall + HostWorkFuel.units(forBytes: HostWorkFuel.bytes(of: values)))
        let results = try lowered.host.body(context, values)
        try context.checkStop()
        try chargeFuel(HostWorkFuel.units(forBytes: HostWorkFuel.bytes(of: results)))
        guard results.count == layout.results.count, zip(results, layout.results).allSatisfy({ $0.0.matches($0.1) }) else {
            throw ComponentError.trap("host function \(lowered.name) returned values that do not match its WIT results")
        }
        return try lowerResults(results, layout, access, &cursor, lowered.name)
    }

    /// The fused adapter for `canon lower` of a lifted function.
    func callFused(_ fused: FusedCall, _ arguments: [Value]) throws -> [Value] {
        try FlatCursor.over(arguments) { cursor in try callFused(fused, cursor) }
    }

    /// `callFused` over the flat arguments at `start` (valid until it returns).
    private func callFused(_ fused: FusedCall, _ start: FlatCursor) throws -> [Value] {
        var cursor = start
        let name = fused.name
        try states[fused.instance].checkMayLeave("call to \(name)")
        let callerAccess = try access(fused.options, instance: fused.instance, name, lifted: .arguments(of: name))
        defer { callerAccess.scope?.releaseLenders() }
        let limit = fused.isAsync ? CanonicalABI.maxFlatAsyncParams : CanonicalABI.maxFlatParams
        let layout = fused.callee.layout
        let values = try liftArguments(layout, callerAccess, &cursor, limit: limit, name)
        var lowered: [Value] = []
        _ = try call(fused.callee, values, name: name) { results in
            // The caller receives the results before the callee's post-return runs.
            if fused.isAsync {
                if !layout.results.isEmpty {
                    guard case .i32(let pointer) = try cursor.next(.i32) else { return }
                    try callerAccess.checkAlignment(Int(pointer), layout.resultTuple.alignment, "\(name) results")
                    try CanonicalABI.store(callerAccess, .tuple(results), layout.resultTuple, at: Int(pointer))
                }
                lowered = [.i32(CanonicalABI.subtaskReturned)]
            } else {
                lowered = try self.lowerResults(results, layout, callerAccess, &cursor, name)
            }
        }
        return lowered
    }

    /// Lifts a call's arguments from flat core values (or from memory past `limit` of them).
    private func liftArguments(_ layout: FunctionLayout, _ access: GuestAccess, _ cursor: inout FlatCursor, limit: Int, _ name: String) throws -> [ComponentValue] {
        guard layout.flatParamCount > limit else {
            var values: [ComponentValue] = []
            values.reserveCapacity(layout.params.count)
            for param in layout.params { values.append(try CanonicalABI.liftFlat(access, &cursor, param)) }
            return values
        }
        guard case .i32(let pointer) = try cursor.next(.i32) else { return [] }
        try access.checkAlignment(Int(pointer), layout.paramTuple.alignment, "\(name) arguments")
        guard case .tuple(let loaded) = try CanonicalABI.load(access, layout.paramTuple, at: Int(pointer)) else { return [] }
        return loaded
    }

    /// Lowers a call's results for the caller: flat, or through the return pointer that follows
    /// the flat arguments in `cursor`.
    private func lowerResults(_ results: [ComponentValue], _ layout: FunctionLayout, _ access: GuestAccess, _ cursor: inout FlatCursor, _ name: String) throws -> [Value] {
        if layout.flatResultCount > CanonicalABI.maxFlatResults {
            guard case .i32(let pointer) = try cursor.next(.i32) else { return [] }
            try access.checkAlignment(Int(pointer), layout.resultTuple.alignment, "\(name) results")
            try CanonicalABI.store(access, .tuple(results), layout.resultTuple, at: Int(pointer))
            return []
        }
        var flat: [Value] = []
        for (result, resultLayout) in zip(results, layout.results) {
            try CanonicalABI.lowerFlat(access, result, resultLayout, into: &flat)
        }
        return flat
    }

    /// The built-ins that run here; the others trap as unsupported.
    func runBuiltin(_ builtin: BuiltinFunction, _ arguments: [Value]) throws -> [Value] {
        let state = states[builtin.instance]
        switch builtin.kind {
        case .contextGet(let index):
            return [.i32(try state.contextSlot(index))]
        case .contextSet(let index):
            try state.setContextSlot(index, try Self.i32(arguments))
            return []
        case .backpressureSet:
            state.backpressure = try Self.i32(arguments) == 0 ? 0 : 1
            return []
        case .backpressureChange(let delta):
            let next = state.backpressure + delta
            guard next >= 0, next <= InstanceState.maxBackpressure else {
                throw ComponentError.trap("backpressure counter \(delta < 0 ? "underflow" : "overflow")")
            }
            state.backpressure = next
            return []
        case .taskReturn(let type, let options):
            try state.checkMayLeave("task.return")
            guard let task = state.tasks.last, task.results == nil else {
                throw ComponentError.trap("task.return called when no async task of this instance is waiting for its results")
            }
            let wanted = type.map(CanonicalABI.flatten) ?? []
            let declared = task.resultType.map(CanonicalABI.flatten) ?? []
            guard wanted == declared else { throw ComponentError.trap("task.return invoked with an invalid type") }
            let access = try access(options, instance: builtin.instance, "task.return", lifted: .result)
            var values: [ComponentValue] = []
            if let type {
                values = try FlatCursor.over(arguments) { cursor in
                    if wanted.count > CanonicalABI.maxFlatParams {
                        guard case .i32(let pointer) = try cursor.next(.i32) else { return [] }
                        try access.checkAlignment(Int(pointer), CanonicalABI.alignment(type), "task.return")
                        return [try CanonicalABI.load(access, type, at: Int(pointer))]
                    }
                    return [try CanonicalABI.liftFlat(access, &cursor, type)]
                }
            }
            state.tasks[state.tasks.count - 1].results = values
            return []
        case .unsupported(let name):
            try state.checkMayLeave(name)
            throw ComponentError.trap("unsupported: the \(name) built-in (component-model async and threads) is not supported")
        }
    }
}
