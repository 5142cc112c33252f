// Imports, exports, instances and instantiation: names, attributes, the `[constructor]`,
// `[method]` and `[static]` rules, external visibility of types, and the substitution of
// resource and type identities when a component is instantiated.

extension ComponentValidator {
    /// A component's import: the same rules as an import declared inside a component type.
    func importItem(_ name: ExternName, _ desc: ExternDesc, _ scope: inout ValidatorScope) throws {
        try declare(name, desc, isImport: true, &scope)
    }

    func exportItem(_ name: ExternName, _ target: SortIndex, _ desc: ExternDesc?, _ scope: inout ValidatorScope) throws {
        var entity = try scope.entity(target.sort, target.index)
        if let desc {
            let ascribed = try externDesc(desc, &scope)
            if case .type(.subResource) = desc, case .type(.resource(_, let resource)) = ascribed {
                // `(sub resource)` hides the resource's identity behind a fresh one.
                guard case .type(.resource) = entity else {
                    throw ComponentError.invalid("ascribed type of export `\(name.name)` is not compatible: expected resource, found \(entity.sortName)")
                }
                scope.createdResources.append(resource)
            } else if let mismatch = try entityMismatch(entity, ascribed) {
                throw ComponentError.invalid("ascribed type of export `\(name.name)` is not compatible with the item's type: \(mismatch)")
            }
            entity = ascribed
        }
        if case .instance(let instance) = entity { entity = .instance(freshCopy(instance, freshResources: false)) }
        try register(name, entity, isImport: false, &scope)
    }

    func instance(_ expr: InstanceExpr, _ scope: inout ValidatorScope) throws -> VInstanceType {
        switch expr {
        case .instantiate(let component, let args):
            guard Int(component) < scope.components.count else {
                throw ComponentError.invalid("unknown component \(component): component index out of bounds")
            }
            var arguments: [String: Entity] = [:]
            for (name, target) in args {
                let entity = try scope.entity(target.sort, target.index)
                guard arguments.updateValue(entity, forKey: name) == nil else {
                    throw ComponentError.invalid("instantiation argument `\(name)` conflicts with previous argument `\(name)`")
                }
            }
            return try instantiate(scope.components[Int(component)], arguments, &scope)
        case .inline(let items):
            var bag = ValidatorScope(kind: .instanceType)
            for (name, target) in items {
                try register(name, try scope.entity(target.sort, target.index), isImport: false, &bag)
            }
            let instance = VInstanceType(exports: bag.exports)
            guard instance.depth(limit: DecodeLimits.maxNestingDepth) != nil else {
                throw ComponentError.unsupported("instances nested deeper than \(DecodeLimits.maxNestingDepth) levels")
            }
            return instance
        }
    }

    /// Type-checks `arguments` against the component's imports and returns the type of the new
    /// instance: exports with the arguments' resources and types substituted for the imported
    /// ones, and fresh resources for the ones the component defines.
    func instantiate(_ type: VComponentType, _ arguments: [String: Entity], _ scope: inout ValidatorScope) throws -> VInstanceType {
        try charge(Entity.component(type).cost)
        var map = Self.importMapping(type, arguments)
        for (name, expected) in type.imports {
            guard let argument = arguments[name] else { throw ComponentError.invalid("missing import named `\(name)`") }
            if let mismatch = try entityMismatch(argument, expected.remapped(map)) {
                throw ComponentError.invalid("type mismatch for import `\(name)`: \(mismatch)")
            }
        }
        var created: [ResourceID] = []
        for resource in type.definedResources {
            let fresh = freshResource()
            map.resources[resource] = fresh
            created.append(fresh)
        }
        scope.createdResources += created
        return VInstanceType(exports: type.exports.map { ($0.0, $0.1.remapped(map)) }, definedResources: created)
    }

    // MARK: registering names

    /// Adds an import or export to `scope` after checking its name, attributes, the annotated
    /// name rules and (outside instance types, where it waits until the type is used) the
    /// external visibility of the types it mentions.
    func register(_ name: ExternName, _ original: Entity, isImport: Bool, _ scope: inout ValidatorScope) throws {
        try charge(original.cost)
        let kind = try ExternNames.parse(name.name, isImport: isImport)
        try checkAttributes(name, kind, original)
        var entity = original
        if case .type(let entry) = entity { entity = .type(aliased(entry)) }
        if scope.kind != .instanceType {
            let allowed = isImport ? scope.importedTypeIDs : scope.importedTypeIDs.union(scope.exportedTypeIDs)
            guard Self.visible(entity, allowed) else {
                throw ComponentError.invalid("\(entity.sortName) not valid to be used as \(isImport ? "import" : "export") (`\(name.name)` mentions a type that has no name in this context)")
            }
        }
        try Self.checkAnnotated(kind, entity, isImport ? scope.importTypeNames : scope.exportTypeNames, name.name)
        if isImport {
            try scope.importNames.insert(name.name, kind, what: "import")
        } else {
            try scope.exportNames.insert(name.name, kind, what: "export")
        }
        let ids = Self.typeIDs(in: entity)
        if isImport {
            scope.importedTypeIDs.formUnion(ids)
            scope.importedTypePaths += Self.typePaths(entity, [name.name])
            scope.imports.append((name.name, entity))
        } else {
            scope.exportedTypeIDs.formUnion(ids)
            scope.exports.append((name.name, entity))
        }
        if case .type(let entry) = entity, let id = entry.typeID, case .label(let label) = kind {
            if isImport { scope.importTypeNames[id] = label } else { scope.exportTypeNames[id] = label }
        }
        scope.append(entity)
    }

    /// A type under a new name gets its own identity (the resource or structure is the same).
    private func aliased(_ entry: TypeEntry) -> TypeEntry {
        switch entry {
        case .resource(_, let resource): return .resource(freshTypeID(), resource)
        case .value(let type) where type.nominalID != nil: return .value(type.renamed(freshTypeID()))
        default: return entry
        }
    }

    /// `implements` may only be attached to an instance with a plain name, and names an interface.
    private func checkAttributes(_ name: ExternName, _ kind: ExternNameKind, _ entity: Entity) throws {
        guard let implements = name.implements else { return }
        guard case .instance = entity else { throw ComponentError.invalid("`\(name.name)`: only instances can have an `implements`") }
        guard kind.isPlainLabel else { throw ComponentError.invalid("name `\(name.name)` is not valid with `implements`") }
        let parsed: ExternNameKind
        do { parsed = try ExternNames.parse(implements, isImport: false) } catch {
            throw ComponentError.invalid("`implements` value `\(implements)` is not a valid name")
        }
        guard case .interface = parsed else {
            throw ComponentError.invalid("`implements` value `\(implements)` must be an interface name")
        }
    }

    /// `[constructor]R` returns `own<R>` (or a result of it); `[method]R.m` takes
    /// `self: borrow<R>` first; `[static]R.m` needs a resource named R. R is found by the
    /// identity of the handle's type among the names of the same namespace.
    static func checkAnnotated(_ kind: ExternNameKind, _ entity: Entity, _ names: [TypeID: String], _ name: String) throws {
        func function() throws -> VFuncType {
            guard case .function(let function) = entity else { throw ComponentError.invalid("`\(name)` is not a func") }
            return function
        }
        func resource(_ id: TypeID, _ expected: String) throws {
            guard let actual = names[id] else {
                throw ComponentError.invalid("`\(name)`: resource used in function does not have a name in this context")
            }
            guard ValueSubtyping.same(actual, expected) else {
                throw ComponentError.invalid("`\(name)`: function does not match expected resource name `\(actual)`")
            }
        }
        switch kind {
        case .constructor(let expected):
            guard let result = try function().result else { throw ComponentError.invalid("`\(name)`: function should return one value") }
            switch result {
            case .own(let id, _): try resource(id, expected)
            case .result(.own(let id, _)?, _): try resource(id, expected)
            default:
                if names.values.contains(where: { ValueSubtyping.same($0, expected) }) {
                    throw ComponentError.invalid("`\(name)`: function should return `(own $T)` or `(result (own $T))`")
                }
                throw ComponentError.invalid("`\(name)`: function should return `(own $T)`")
            }
        case .method(let expected, _):
            let params = try function().params
            guard let first = params.first else { throw ComponentError.invalid("`\(name)`: function should have at least one argument") }
            guard first.0 == "self" else { throw ComponentError.invalid("`\(name)`: function should have a first argument called `self`") }
            guard case .borrow(let id, _) = first.1 else { throw ComponentError.invalid("`\(name)`: function should take a first argument of `(borrow $T)`") }
            try resource(id, expected)
        case .staticMethod(let expected, _):
            _ = try function()
            guard names.values.contains(where: { ValueSubtyping.same($0, expected) }) else {
                throw ComponentError.invalid("`\(name)`: static resource name is not known in this context")
            }
        default:
            break
        }
    }

    // MARK: external visibility

    /// Whether every nominal type (record, variant, enum, flags, resource) the entity mentions
    /// has an identity in `allowed`; an instance's own type exports count for its later exports.
    static func visible(_ entity: Entity, _ allowed: Set<TypeID>) -> Bool {
        switch entity {
        case .module, .component: return true
        case .function(let function): return visible(function, allowed)
        case .type(let entry):
            switch entry {
            case .resource, .component: return true
            case .value(let type): return type.nominalID == nil ? visible(type, allowed) : type.children.allSatisfy { visible($0, allowed) }
            case .function(let function): return visible(function, allowed)
            case .instance(let instance): return visible(.instance(instance), allowed)
            }
        case .instance(let instance):
            var local = allowed
            for (_, export) in instance.exports {
                guard visible(export, local) else { return false }
                local.formUnion(typeIDs(in: export))
            }
            return true
        }
    }

    static func visible(_ function: VFuncType, _ allowed: Set<TypeID>) -> Bool {
        function.params.allSatisfy { visible($0.1, allowed) } && (function.result.map { visible($0, allowed) } ?? true)
    }

    static func visible(_ type: VType, _ allowed: Set<TypeID>) -> Bool {
        switch type {
        case .primitive: return true
        case .own(let id, _), .borrow(let id, _): return allowed.contains(id)
        default:
            if let id = type.nominalID { return allowed.contains(id) }
            return type.children.allSatisfy { visible($0, allowed) }
        }
    }
}
