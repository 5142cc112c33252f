// Type definitions: value types (labels, non-emptiness, the flag limit, the 2^28 byte-size
// limit), function types, resource types, and the declarations of component and instance types.

extension ComponentValidator {
    /// The largest static byte size a value type may have (CanonicalABI.md, "element size").
    static let maxValueBytes = 1 << 28

    func typeDef(_ def: TypeDef, _ scope: inout ValidatorScope) throws -> TypeEntry {
        switch def {
        case .value(let value): return .value(try defValType(value, scope))
        case .function(let function): return .function(try funcType(function, scope))
        case .resource(let destructor):
            guard case .component = scope.kind else {
                throw ComponentError.invalid("resources can only be defined within a concrete component")
            }
            if let destructor {
                guard Int(destructor) < scope.coreFunctions.count else {
                    throw ComponentError.invalid("function index \(destructor) out of bounds")
                }
                guard scope.coreFunctions[Int(destructor)] == CoreFuncType(params: [.i32], results: []) else {
                    throw ComponentError.invalid("wrong signature for a destructor: \(scope.coreFunctions[Int(destructor)]), expected (func (param i32))")
                }
            }
            let resource = freshResource()
            scope.localResources.insert(resource)
            scope.createdResources.append(resource)
            return .resource(freshTypeID(), resource)
        case .instance(let decls):
            return .instance(try declarations(decls, kind: .instanceType, scope).instanceType)
        case .component(let decls):
            return .component(try declarations(decls, kind: .componentType, scope).componentType)
        }
    }

    func defValType(_ def: DefValType, _ scope: ValidatorScope) throws -> VType {
        func value(_ type: ValType) throws -> VType { try scope.valType(type) }
        let type: VType
        switch def {
        case .primitive(let primitive): type = .primitive(primitive)
        case .record(let fields):
            guard !fields.isEmpty else { throw ComponentError.invalid("record type must have at least one field") }
            try checkLabels(fields.map(\.0), "record field", "field")
            type = .record(freshTypeID(), try fields.map { ($0.0, try value($0.1)) })
        case .variant(let cases):
            guard !cases.isEmpty else { throw ComponentError.invalid("variant type must have at least one case") }
            try checkLabels(cases.map(\.0), "variant case", "case")
            type = .variant(freshTypeID(), try cases.map { ($0.0, try $0.1.map(value)) })
        case .list(let element): type = .list(try value(element))
        case .fixedList(let element, let count):
            guard count > 0 else { throw ComponentError.invalid("fixed-length list length must be at least 1") }
            type = .fixedList(try value(element), count)
        case .map(let key, let valueType):
            let keyType = try value(key)
            guard case .primitive(let primitive) = keyType, ![.f32, .f64, .errorContext].contains(primitive) else {
                throw ComponentError.invalid("map key type must be a boolean, integer, char or string type, not \(keyType.kindName)")
            }
            type = .map(keyType, try value(valueType))
        case .tuple(let elements):
            guard !elements.isEmpty else { throw ComponentError.invalid("tuple type must have at least one type") }
            type = .tuple(try elements.map(value))
        case .flags(let names):
            guard !names.isEmpty else { throw ComponentError.invalid("flags must have at least one entry") }
            guard names.count <= 32 else { throw ComponentError.invalid("cannot have more than 32 flags") }
            try checkLabels(names, "flag", "flag")
            type = .flags(freshTypeID(), names)
        case .enum(let names):
            guard !names.isEmpty else { throw ComponentError.invalid("enum type must have at least one variant") }
            try checkLabels(names, "enum tag", "tag")
            type = .enumeration(freshTypeID(), names)
        case .option(let inner): type = .option(try value(inner))
        case .result(let ok, let err): type = .result(try ok.map(value), try err.map(value))
        case .own(let index), .borrow(let index):
            guard case .resource(let id, let resource) = try scope.type(index) else {
                throw ComponentError.invalid("type index \(index) is not a resource type")
            }
            if case .own = def { type = .own(id, resource) } else { type = .borrow(id, resource) }
        case .stream(let payload):
            let payloadType = try payload.map(value)
            if case .primitive(.char)? = payloadType {
                throw ComponentError.invalid("`stream<char>` is not valid at this time (use `stream<u8>` for text)")
            }
            type = .stream(payloadType)
        case .future(let payload): type = .future(try payload.map(value))
        }
        let nodes = type.nodeCount
        try charge(nodes)
        guard nodes <= DecodeLimits.maxTypeNodes else {
            throw ComponentError.unsupported("a value type larger than \(DecodeLimits.maxTypeNodes) nodes")
        }
        guard type.depth(limit: DecodeLimits.maxTypeDepth) != nil else {
            throw ComponentError.unsupported("a value type nested deeper than \(DecodeLimits.maxTypeDepth) levels")
        }
        guard type.layout64.size < Self.maxValueBytes else {
            throw ComponentError.invalid("a value of type \(type.kindName) exceeds maximum byte size of \(Self.maxValueBytes - 1) bytes")
        }
        return type
    }

    /// Labels must be non-empty, kebab-case and unique ignoring ASCII case.
    func checkLabels(_ labels: [String], _ what: String, _ short: String) throws {
        var seen: [String: String] = [:]
        for label in labels {
            guard !label.isEmpty else { throw ComponentError.invalid("\(what) name cannot be empty") }
            guard ExternNames.isKebab(label) else { throw ComponentError.invalid("\(what) name `\(label)` is not in kebab case") }
            if let previous = seen.updateValue(label, forKey: label.lowercased()) {
                throw ComponentError.invalid("\(what) name `\(label)` conflicts with previous \(short) name `\(previous)`")
            }
        }
    }

    func funcType(_ def: FuncTypeDef, _ scope: ValidatorScope) throws -> VFuncType {
        try checkLabels(def.params.map(\.0), "function parameter", "parameter")
        let params = try def.params.map { ($0.0, try scope.valType($0.1)) }
        let result = try def.result.map { try scope.valType($0) }
        if let result, result.containsBorrow {
            throw ComponentError.invalid("function result cannot contain a `borrow` type")
        }
        return VFuncType(params: params, result: result, isAsync: def.isAsync)
    }

    // MARK: component and instance type declarations

    /// Validates the declarations of a component or instance type in a fresh scope.
    func declarations(_ decls: [TypeDecl], kind: ValidatorScope.Kind, _ outer: ValidatorScope) throws -> ValidatorScope {
        stack.append(outer)
        defer { stack.removeLast() }
        var scope = ValidatorScope(kind: kind)
        for decl in decls {
            try charge(1)
            switch decl {
            case .coreType(let def):
                scope.coreTypes.append(try coreType(def, scope))
            case .type(let def):
                if case .resource = def {
                    throw ComponentError.invalid("resources can only be defined within a concrete component")
                }
                scope.types.append(try typeDef(def, &scope))
            case .alias(let alias):
                switch (alias.sort, alias.target) {
                case (.type, .export(let instance, let name)), (.instance, .export(let instance, let name)):
                    scope.append(try instanceExport(instance, name, alias.sort, scope))
                case (.type, .outer(let count, let index)), (.core(.type), .outer(let count, let index)):
                    try outerAlias(alias.sort, count: count, index: index, &scope)
                default:
                    throw ComponentError.invalid("aliases in component and instance types may only refer to types or instances")
                }
            case .import(let name, let desc):
                try declare(name, desc, isImport: true, &scope)
            case .export(let name, let desc):
                try declare(name, desc, isImport: false, &scope)
            }
        }
        return scope
    }

    /// An import or export declaration inside a component or instance type (a component's own
    /// imports too): fresh resources for `(sub resource)` and imported instances, recorded as
    /// imported (with their path) or created.
    func declare(_ name: ExternName, _ desc: ExternDesc, isImport: Bool, _ scope: inout ValidatorScope) throws {
        var entity = try externDesc(desc, &scope)
        var fresh: [ResourceID] = []
        if case .type(.subResource) = desc, case .type(.resource(_, let resource)) = entity { fresh.append(resource) }
        if case .instance(let instance) = entity {
            let copy = freshCopy(instance, freshResources: true)
            entity = .instance(copy)
            fresh += copy.definedResources
        }
        if isImport {
            scope.importedResources += fresh.compactMap { resource in
                Self.path(to: resource, in: [(name.name, entity)]).map { (resource, $0) }
            }
        } else {
            scope.createdResources += fresh
        }
        try register(name, entity, isImport: isImport, &scope)
    }

    /// The entity an `externdesc` describes. `(sub resource)` creates a fresh abstract resource.
    func externDesc(_ desc: ExternDesc, _ scope: inout ValidatorScope) throws -> Entity {
        switch desc {
        case .module(let index):
            guard case .module(let type) = try scope.coreType(index) else {
                throw ComponentError.invalid("core type index \(index) is not a module type")
            }
            return .module(type)
        case .function(let index):
            guard case .function(let type) = try scope.type(index) else {
                throw ComponentError.invalid("type index \(index) is not a function type")
            }
            return .function(type)
        case .value:
            throw ComponentError.unsupported("value imports and exports (🪙) are not supported")
        case .type(.eq(let index)):
            return .type(try scope.type(index))
        case .type(.subResource):
            return .type(.resource(freshTypeID(), freshResource()))
        case .component(let index):
            guard case .component(let type) = try scope.type(index) else {
                throw ComponentError.invalid("type index \(index) is not a component type")
            }
            return .component(type)
        case .instance(let index):
            guard case .instance(let type) = try scope.type(index) else {
                throw ComponentError.invalid("type index \(index) is not an instance type")
            }
            return .instance(type)
        }
    }

    /// A copy of an instance type with fresh identities for its type exports (so that names
    /// given through this import or export are its own) and, optionally, fresh resources.
    func freshCopy(_ instance: VInstanceType, freshResources: Bool) -> VInstanceType {
        var map = Remapping()
        if freshResources {
            for resource in instance.definedResources { map.resources[resource] = freshResource() }
        }
        for id in Self.typeIDs(in: .instance(instance)) { map.types[id] = freshTypeID() }
        return instance.remapped(map)
    }

    /// The identities of every type an entity exports (itself, for a type).
    static func typeIDs(in entity: Entity) -> [TypeID] {
        switch entity {
        case .type(let entry): return entry.typeID.map { [$0] } ?? []
        case .instance(let instance): return instance.exports.flatMap { typeIDs(in: $0.1) }
        default: return []
        }
    }

    /// Every (type identity, path) inside an imported entity, for substitution at instantiation.
    static func typePaths(_ entity: Entity, _ path: [String]) -> [(TypeID, [String])] {
        switch entity {
        case .type(let entry): return entry.typeID.map { [($0, path)] } ?? []
        case .instance(let instance): return instance.exports.flatMap { typePaths($0.1, path + [$0.0]) }
        default: return []
        }
    }

    // MARK: core types

    func coreType(_ def: CoreTypeDef, _ scope: ValidatorScope) throws -> CoreTypeEntry {
        switch def {
        case .function(let type): return .function(type)
        case .other: return .other
        case .module(let decls): return .module(try moduleType(decls, scope))
        }
    }

    private func moduleType(_ decls: [CoreModuleDecl], _ scope: ValidatorScope) throws -> CoreModuleType {
        var types: [CoreTypeEntry] = []
        var result = CoreModuleType()
        var importNames = Set<String>()
        var exportNames = Set<String>()
        func resolve(_ desc: CoreImportDesc) throws -> CoreExternType {
            func function(_ index: UInt32) throws -> CoreFuncType {
                guard Int(index) < types.count else { throw ComponentError.invalid("type index \(index) out of bounds") }
                guard case .function(let type) = types[Int(index)] else { throw ComponentError.invalid("type index \(index) is not a function type") }
                return type
            }
            switch desc {
            case .function(let index): return .function(try function(index))
            case .tag(let index): return .tag(try function(index))
            case .table(let element, let limits):
                try CoreModuleValidation.checkLimits(limits, isMemory: false)
                return .table(element: element, limits: limits)
            case .memory(let limits):
                try CoreModuleValidation.checkLimits(limits, isMemory: true)
                return .memory(limits)
            case .global(let type, let mutable): return .global(type, mutable: mutable)
            }
        }
        for decl in decls {
            switch decl {
            case .type(let def): types.append(try coreType(def, scope))
            case .outerType(let count, let index):
                switch count {
                case 0:
                    guard Int(index) < types.count else { throw ComponentError.invalid("type index \(index) out of bounds") }
                    types.append(types[Int(index)])
                case 1:
                    let entry = try scope.coreType(index)
                    if case .module = entry { throw ComponentError.invalid("module types may not alias module types") }
                    types.append(entry)
                default: throw ComponentError.invalid("invalid outer alias count of \(count)")
                }
            case .import(let module, let name, let desc):
                guard importNames.insert("\(module)\u{0}\(name)").inserted else {
                    throw ComponentError.invalid("duplicate import name `\(module):\(name)`")
                }
                result.imports.append((module, name, try resolve(desc)))
            case .export(let name, let desc):
                guard exportNames.insert(name).inserted else { throw ComponentError.invalid("export name `\(name)` already defined") }
                result.exports.append((name, try resolve(desc)))
            }
        }
        return result
    }
}
