// `canon` definitions: lift and lower with their options (Binary.md, "Canonical Definitions";
// CanonicalABI.md for the flattened core signatures), the resource built-ins, and the core types
// of the async, stream, future and thread built-ins.

extension ComponentValidator {
    static let maxFlatParams = 16
    static let maxFlatResults = 1
    static let maxFlatAsyncParams = 4

    func canon(_ canon: Canon, _ scope: inout ValidatorScope) throws {
        switch canon {
        case .lift(let coreFunction, let options, let typeIndex):
            let core = try scope.coreFunction(coreFunction)
            guard case .function(let type) = try scope.type(typeIndex) else {
                throw ComponentError.invalid("canon lift: type index \(typeIndex) is not a function type")
            }
            let expected = try liftSignature(type, options, scope)
            guard core.params == expected.params else {
                throw ComponentError.invalid("canon lift: lowered parameter types `\(expected.params)` do not match parameter types `\(core.params)` of the core function")
            }
            guard core.results == expected.results else {
                throw ComponentError.invalid("canon lift: lowered result types `\(expected.results)` do not match result types `\(core.results)` of the core function")
            }
            scope.functions.append(type)
        case .lower(let function, let options):
            let type = try scope.function(function)
            scope.coreFunctions.append(try lowerSignature(type, options, scope))
        case .resourceNew(let index), .resourceRep(let index):
            guard case .resource(_, let resource) = try scope.type(index) else {
                throw ComponentError.invalid("type index \(index) is not a resource type")
            }
            guard scope.localResources.contains(resource) else {
                throw ComponentError.invalid("type index \(index) is not a local resource (resource.new and resource.rep need a resource this component defines)")
            }
            scope.coreFunctions.append(CoreFuncType(params: [.i32], results: [.i32]))
        case .resourceDrop(let index):
            guard case .resource = try scope.type(index) else {
                throw ComponentError.invalid("type index \(index) is not a resource type")
            }
            scope.coreFunctions.append(CoreFuncType(params: [.i32], results: []))
        case .builtin(let builtin):
            scope.coreFunctions.append(try builtinSignature(builtin, scope))
        }
    }

    /// What `canon lift` requires of the core function.
    private func liftSignature(_ type: VFuncType, _ options: CanonOptionsDef, _ scope: ValidatorScope) throws -> CoreFuncType {
        let flatParams = Self.flatParams(type, limit: Self.maxFlatParams)
        let paramsNeedMemory = type.params.contains { $0.1.needsMemory } || flatParams == nil
        let params = flatParams ?? [.i32]
        var results: [CoreValType]
        var resultsNeedMemory = false
        if options.isAsync {
            results = options.callback == nil ? [] : [.i32]
        } else {
            let flat = type.result.map { $0.flatten(limit: Self.maxFlatResults) } ?? []
            resultsNeedMemory = (type.result?.needsMemory ?? false) || flat == nil
            results = flat ?? [.i32]
        }
        try checkOptions(options, scope, lifting: true, memory: paramsNeedMemory || resultsNeedMemory, realloc: paramsNeedMemory)
        if let postReturn = options.postReturn {
            guard !options.isAsync else { throw ComponentError.invalid("canonical option `post-return` cannot be used with `async`") }
            guard try scope.coreFunction(postReturn) == CoreFuncType(params: results, results: []) else {
                throw ComponentError.invalid("canonical option `post-return` uses a core function with an incorrect signature")
            }
        }
        if let callback = options.callback {
            guard options.isAsync else { throw ComponentError.invalid("canonical option `callback` requires `async`") }
            guard try scope.coreFunction(callback) == CoreFuncType(params: [.i32, .i32, .i32], results: [.i32]) else {
                throw ComponentError.invalid("canonical option `callback` uses a core function with an incorrect signature")
            }
        }
        return CoreFuncType(params: params, results: results)
    }

    /// The core type of the function `canon lower` defines.
    private func lowerSignature(_ type: VFuncType, _ options: CanonOptionsDef, _ scope: ValidatorScope) throws -> CoreFuncType {
        guard options.postReturns.isEmpty else {
            throw ComponentError.invalid("canonical option `post-return` cannot be specified for lowerings")
        }
        guard options.callbacks.isEmpty else { throw ComponentError.invalid("canonical option `callback` cannot be specified for lowerings") }
        let limit = options.isAsync ? Self.maxFlatAsyncParams : Self.maxFlatParams
        let flatParams = Self.flatParams(type, limit: limit)
        var params = flatParams ?? [.i32]
        var memory = type.params.contains { $0.1.needsMemory } || flatParams == nil
        let realloc = type.result?.needsMemory ?? false
        let results: [CoreValType]
        if options.isAsync {
            if type.result != nil { params.append(.i32); memory = true }
            results = [.i32]
        } else if let result = type.result, let flat = result.flatten(limit: Self.maxFlatResults) {
            memory = memory || result.needsMemory
            results = flat
        } else if type.result != nil {
            params.append(.i32)
            memory = true
            results = []
        } else {
            results = []
        }
        try checkOptions(options, scope, lifting: false, memory: memory, realloc: realloc)
        return CoreFuncType(params: params, results: results)
    }

    static func flatParams(_ type: VFuncType, limit: Int) -> [CoreValType]? {
        var flat: [CoreValType] = []
        for (_, param) in type.params {
            guard let more = param.flatten(limit: limit), flat.count + more.count <= limit else { return nil }
            flat += more
        }
        return flat
    }

    /// Duplicates, conflicts, index bounds and core types of the options, and whether the
    /// ones the value types need are present.
    func checkOptions(_ options: CanonOptionsDef, _ scope: ValidatorScope, lifting: Bool, memory: Bool, realloc: Bool) throws {
        if options.encodings.count > 1 {
            func name(_ encoding: StringEncoding) -> String {
                switch encoding {
                case .utf8: return "utf8"
                case .utf16: return "utf16"
                case .latin1utf16: return "latin1-utf16"
                }
            }
            throw ComponentError.invalid("canonical encoding option `\(name(options.encodings[0]))` conflicts with option `\(name(options.encodings[1]))`")
        }
        guard options.memories.count <= 1 else { throw ComponentError.invalid("canonical option `memory` is specified more than once") }
        guard options.reallocs.count <= 1 else { throw ComponentError.invalid("canonical option `realloc` is specified more than once") }
        guard options.postReturns.count <= 1 else { throw ComponentError.invalid("canonical option `post-return` is specified more than once") }
        guard options.callbacks.count <= 1 else { throw ComponentError.invalid("canonical option `callback` is specified more than once") }
        guard options.gcOptions == 0 else { throw ComponentError.unsupported("the `gc` and `core-type` canonical options are not supported") }
        if let index = options.memory {
            guard Int(index) < scope.coreMemories.count else { throw ComponentError.invalid("memory index \(index) out of bounds") }
            guard case .memory(let limits) = scope.coreMemories[Int(index)], !limits.is64 else {
                throw ComponentError.invalid("canonical option `memory` must be a 32-bit memory")
            }
        }
        if let index = options.realloc {
            guard options.memory != nil else { throw ComponentError.invalid("canonical option `realloc` requires `memory` to also be specified") }
            guard try scope.coreFunction(index) == CoreFuncType(params: [.i32, .i32, .i32, .i32], results: [.i32]) else {
                throw ComponentError.invalid("canonical option `realloc` uses a core function with an incorrect signature")
            }
        }
        if memory && options.memory == nil { throw ComponentError.invalid("canonical option `memory` is required") }
        if realloc && options.realloc == nil { throw ComponentError.invalid("canonical option `realloc` is required") }
    }

    /// A defined type that must be a `stream` or `future` for a stream/future built-in.
    private func payload(_ index: UInt32, stream: Bool, _ scope: ValidatorScope) throws -> VType? {
        guard case .value(let type) = try scope.type(index) else {
            throw ComponentError.invalid("type index \(index) is not a \(stream ? "stream" : "future") type")
        }
        switch (type, stream) {
        case (.stream(let payload), true), (.future(let payload), false): return payload
        default: throw ComponentError.invalid("type index \(index) is not a \(stream ? "stream" : "future") type")
        }
    }

    private func builtinSignature(_ builtin: CanonBuiltin, _ scope: ValidatorScope) throws -> CoreFuncType {
        switch builtin {
        case .taskReturn(let result, let options):
            let type = try result.map { try scope.valType($0) }
            let flat = type.map { $0.flatten(limit: Self.maxFlatParams) } ?? []
            try checkOptions(options, scope, lifting: false, memory: (type?.needsMemory ?? false) || flat == nil, realloc: false)
            return CoreFuncType(params: flat ?? [.i32], results: [])
        case .streamNew(let index), .streamCancelRead(let index, _), .streamCancelWrite(let index, _),
             .streamDropReadable(let index), .streamDropWritable(let index):
            _ = try payload(index, stream: true, scope)
        case .futureNew(let index), .futureCancelRead(let index, _), .futureCancelWrite(let index, _),
             .futureDropReadable(let index), .futureDropWritable(let index):
            _ = try payload(index, stream: false, scope)
        case .streamRead(let index, let options), .streamWrite(let index, let options):
            let element = try payload(index, stream: true, scope)
            try checkOptions(options, scope, lifting: false, memory: true, realloc: element?.needsMemory ?? false)
        case .futureRead(let index, let options), .futureWrite(let index, let options):
            let element = try payload(index, stream: false, scope)
            try checkOptions(options, scope, lifting: false, memory: true, realloc: element?.needsMemory ?? false)
        case .errorContextNew(let options):
            try checkOptions(options, scope, lifting: false, memory: true, realloc: false)
        case .errorContextDebugMessage(let options):
            try checkOptions(options, scope, lifting: false, memory: true, realloc: true)
        case .waitableSetWait(_, let memory), .waitableSetPoll(_, let memory):
            guard Int(memory) < scope.coreMemories.count else { throw ComponentError.invalid("memory index \(memory) out of bounds") }
        case .threadNewIndirect(let type, let table):
            guard case .function(let start) = try scope.coreType(type), start == CoreFuncType(params: [.i32], results: []) else {
                throw ComponentError.invalid("thread.new-indirect: core type \(type) must be (func (param i32))")
            }
            guard Int(table) < scope.coreTables.count else { throw ComponentError.invalid("table index \(table) out of bounds") }
        case .threadSpawnRef, .threadSpawnIndirect, .threadAvailableParallelism:
            throw ComponentError.unsupported("shared-everything thread built-ins are not supported")
        default:
            break
        }
        guard let signature = builtin.fixedCoreSignature else { throw ComponentError.invalid("canon \(builtin.name): no core signature") }
        return signature
    }
}
