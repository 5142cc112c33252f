import WasmKit

// `canon` definitions at link time: lift, lower (of a host import, or of a function another
// component instance lifted: a fused call), and the built-ins.

extension ComponentLinker {
    mutating func canon(_ canon: Canon, _ scope: inout Scope) throws {
        let context = "canon section"
        switch canon {
        case .lift(let coreFunction, let def, let typeIndex):
            let core = try self.coreFunction(coreFunction, scope, context)
            let options = try resolveOptions(def, scope, context)
            switch try scope.types.lookup(typeIndex, context) {
            case .function(let type):
                if !def.isAsync { try CanonicalABI.checkOptions(options, type: type, lifting: true, context) }
                scope.functions.append(.lifted(LiftedFunction(coreFunction: core, options: options, type: type, instance: scope.instanceID, isAsync: def.isAsync)))
            case .unrepresentable(let reason):
                scope.functions.append(.lifted(LiftedFunction(
                    coreFunction: core, options: options, type: WITFunctionType(params: [], results: []),
                    instance: scope.instanceID, isAsync: def.isAsync, unsupported: reason)))
            default:
                throw ComponentError.invalid("\(context): canon lift type \(typeIndex) is not a func type")
            }
        case .lower(let function, let def):
            guard Int(function) < scope.functions.count else {
                throw ComponentError.invalid("\(context): canon lower of func \(function), which is out of range")
            }
            let options = try resolveOptions(def, scope, context)
            switch scope.functions[Int(function)] {
            case .imported(let name, let host, let type):
                guard !def.isAsync else { throw ComponentError.unsupported("\(context): async lowering of the host import \(name)") }
                try CanonicalABI.checkOptions(options, type: type, lifting: false, context)
                addCoreFunction(.lowered(LoweredFunction(name: name, host: host, type: type, options: options, instance: scope.instanceID)), &scope)
            case .lifted(let lifted):
                addCoreFunction(.fused(FusedCall(callee: lifted, options: options, instance: scope.instanceID, isAsync: def.isAsync, name: lifted.exportName ?? "func \(function)")), &scope)
            }
        case .resourceNew(let type), .resourceDrop(let type), .resourceRep(let type):
            try canonResource(canon, type: type, &scope)
        case .builtin(let builtin):
            try canonBuiltin(builtin, &scope)
        }
    }

    /// The options with core indices resolved to plan indices.
    func resolveOptions(_ def: CanonOptionsDef, _ scope: Scope, _ context: String) throws -> CanonOptions {
        var options = CanonOptions(encoding: def.encoding)
        if let memory = def.memory {
            guard Int(memory) < scope.coreMemories.count else { throw ComponentError.invalid("\(context): memory option \(memory) out of range") }
            options.memory = scope.coreMemories[Int(memory)]
        }
        options.realloc = try def.realloc.map { try coreFunction($0, scope, context) }
        options.postReturn = try def.postReturn.map { try coreFunction($0, scope, context) }
        options.callback = try def.callback.map { try coreFunction($0, scope, context) }
        return options
    }

    private mutating func canonBuiltin(_ builtin: CanonBuiltin, _ scope: inout Scope) throws {
        let kind: BuiltinFunction.Kind
        var signature = builtin.fixedCoreSignature
        switch builtin {
        case .contextGet(let index): kind = .contextGet(Int(index))
        case .contextSet(let index): kind = .contextSet(Int(index))
        case .backpressureSet: kind = .backpressureSet
        case .backpressureInc: kind = .backpressureChange(1)
        case .backpressureDec: kind = .backpressureChange(-1)
        case .taskReturn(let result, let def):
            let options = try resolveOptions(def, scope, "canon section")
            var resultType: WITType?
            if let result {
                switch result {
                case .primitive(let primitive): resultType = primitive.wit
                case .index(let index):
                    if case .value(let wit, _, _) = try scope.types.lookup(index, "canon section") { resultType = wit }
                }
                guard let resolved = resultType else {
                    kind = .unsupported("task.return of a value of a type calls cannot carry here")
                    signature = nil
                    break
                }
                let flat = CanonicalABI.flatten(resolved)
                signature = CoreFuncType(params: flat.count > CanonicalABI.maxFlatParams ? [.i32] : flat.map(Self.coreValType), results: [])
            } else {
                signature = CoreFuncType(params: [], results: [])
            }
            kind = .taskReturn(resultType, options)
        default:
            kind = .unsupported(builtin.name)
        }
        guard let signature else {
            throw ComponentError.unsupported("canon \(builtin.name): a result type calls cannot carry here")
        }
        addCoreFunction(.builtin(BuiltinFunction(
            kind: kind, instance: scope.instanceID,
            params: signature.params.map(Self.valueType), results: signature.results.map(Self.valueType))), &scope)
    }

    static func valueType(_ type: CoreValType) -> ValueType {
        switch type {
        case .i32: return .i32
        case .i64: return .i64
        case .f32: return .f32
        case .f64: return .f64
        case .v128: return .v128
        case .ref(let nullable, let heap):
            return .ref(ReferenceType(isNullable: nullable, heapType: heap == -0x11 ? .externRef : .funcRef))
        }
    }

    static func coreValType(_ type: ValueType) -> CoreValType {
        switch type {
        case .i32: return .i32
        case .i64: return .i64
        case .f32: return .f32
        case .f64: return .f64
        case .v128: return .v128
        case .ref: return .funcref
        }
    }
}
