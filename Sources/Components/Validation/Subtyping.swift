// Subtyping (Subtyping.md, Explainer.md "Type checking"): where an argument, an aliased item or
// an ascribed export may stand for what a type expects. Each check returns nil when `actual`
// fits `expected`, or the reason it does not.

enum ValueSubtyping {
    /// Value types must be equal (structurally, with resources compared by identity; labels
    /// compared ignoring ASCII case).
    static func mismatch(_ actual: VType, _ expected: VType) -> String? {
        switch (expected, actual) {
        case (.primitive(let e), .primitive(let a)):
            return e == a ? nil : "expected primitive `\(e.name)` found primitive `\(a.name)`"
        case (.primitive, _):
            return "expected primitive, found \(actual.kindName)"
        case (.record(_, let e), .record(_, let a)):
            guard e.count == a.count else { return "expected \(e.count) fields, found \(a.count)" }
            for (ef, af) in zip(e, a) {
                guard same(ef.0, af.0) else { return "expected field name `\(ef.0)`, found `\(af.0)`" }
                if let inner = mismatch(af.1, ef.1) { return "type mismatch in record field `\(ef.0)`: \(inner)" }
            }
            return nil
        case (.variant(_, let e), .variant(_, let a)):
            guard e.count == a.count else { return "expected \(e.count) cases, found \(a.count)" }
            for (ec, ac) in zip(e, a) {
                guard same(ec.0, ac.0) else { return "expected case named `\(ec.0)`, found `\(ac.0)`" }
                switch (ec.1, ac.1) {
                case (nil, nil): continue
                case (.some, nil): return "expected case `\(ec.0)` to have a type, found none"
                case (nil, .some): return "expected case `\(ec.0)` to have no type"
                case (let et?, let at?):
                    if let inner = mismatch(at, et) { return "type mismatch in variant case `\(ec.0)`: \(inner)" }
                }
            }
            return nil
        case (.tuple(let e), .tuple(let a)):
            guard e.count == a.count else { return "expected \(e.count) types, found \(a.count)" }
            for (index, (et, at)) in zip(e, a).enumerated() {
                if let inner = mismatch(at, et) { return "type mismatch in tuple field \(index): \(inner)" }
            }
            return nil
        case (.flags(_, let e), .flags(_, let a)):
            return e.count == a.count && zip(e, a).allSatisfy({ same($0, $1) }) ? nil : "mismatch in flags elements"
        case (.enumeration(_, let e), .enumeration(_, let a)):
            return e.count == a.count && zip(e, a).allSatisfy({ same($0, $1) }) ? nil : "mismatch in enum elements"
        case (.list(let e), .list(let a)):
            return mismatch(a, e).map { "type mismatch in list element: \($0)" }
        case (.fixedList(let e, let en), .fixedList(let a, let an)):
            guard en == an else { return "expected a list of length \(en), found length \(an)" }
            return mismatch(a, e).map { "type mismatch in list element: \($0)" }
        case (.map(let ek, let ev), .map(let ak, let av)):
            if let inner = mismatch(ak, ek) { return "type mismatch in map key: \(inner)" }
            return mismatch(av, ev).map { "type mismatch in map value: \($0)" }
        case (.option(let e), .option(let a)):
            return mismatch(a, e).map { "type mismatch in option: \($0)" }
        case (.result(let eo, let ee), .result(let ao, let ae)):
            if let problem = optional(ao, eo, "ok") { return problem }
            return optional(ae, ee, "err")
        case (.own(_, let e), .own(_, let a)), (.borrow(_, let e), .borrow(_, let a)):
            return e == a ? nil : "resource types are not the same"
        case (.stream(let e), .stream(let a)), (.future(let e), .future(let a)):
            switch (e, a) {
            case (nil, nil): return nil
            case (let et?, let at?): return mismatch(at, et).map { "type mismatch in \(expected.kindName) payload: \($0)" }
            default: return "mismatch in \(expected.kindName) payload presence"
            }
        default:
            return "expected \(expected.kindName), found \(actual.kindName)"
        }
    }

    private static func optional(_ actual: VType?, _ expected: VType?, _ what: String) -> String? {
        switch (expected, actual) {
        case (nil, nil): return nil
        case (nil, .some): return "expected \(what) type to not be present"
        case (.some, nil): return "expected \(what) type, but found none"
        case (let e?, let a?): return mismatch(a, e).map { "type mismatch in \(what) variant: \($0)" }
        }
    }

    static func same(_ a: String, _ b: String) -> Bool { a.lowercased() == b.lowercased() }

    /// Function types must match exactly, including parameter names.
    static func functionMismatch(_ actual: VFuncType, _ expected: VFuncType) -> String? {
        guard actual.isAsync == expected.isAsync else { return expected.isAsync ? "expected an async function" : "expected a function that is not async" }
        guard actual.params.count == expected.params.count else {
            return "expected \(expected.params.count) parameters, found \(actual.params.count)"
        }
        for (a, e) in zip(actual.params, expected.params) {
            guard same(a.0, e.0) else { return "expected parameter named `\(e.0)`, found `\(a.0)`" }
            if let inner = mismatch(a.1, e.1) { return "type mismatch in function parameter `\(e.0)`: \(inner)" }
        }
        switch (expected.result, actual.result) {
        case (nil, nil): return nil
        case (.some, nil): return "expected a result, found none"
        case (nil, .some): return "expected no result, found a result"
        case (let e?, let a?): return mismatch(a, e).map { "type mismatch with result type: \($0)" }
        }
    }
}

/// Core subtyping: function and tag types are equal; tables and memories may have larger
/// minimums and tighter maximums than required; globals are equal.
enum CoreSubtyping {
    static func mismatch(_ actual: CoreExternType, _ expected: CoreExternType) -> String? {
        switch (expected, actual) {
        case (.function(let e), .function(let a)), (.tag(let e), .tag(let a)):
            return e == a ? nil : "type mismatch: expected: \(e), found: \(a)"
        case (.table(let ee, let el), .table(let ae, let al)):
            guard ee == ae else { return "expected table element type \(ee), found \(ae)" }
            return limitsFit(al, el) ? nil : "mismatch in table limits"
        case (.memory(let el), .memory(let al)):
            guard el.shared == al.shared else { return "mismatch in the shared flag for memories" }
            return limitsFit(al, el) ? nil : "mismatch in memory limits"
        case (.global(let et, let em), .global(let at, let am)):
            guard et == at else { return "expected global type \(et), found \(at)" }
            return em == am ? nil : "global mutability mismatch"
        default:
            return "expected \(expected.kindName), found \(actual.kindName)"
        }
    }

    private static func limitsFit(_ actual: CoreLimits, _ expected: CoreLimits) -> Bool {
        guard actual.is64 == expected.is64, actual.min >= expected.min else { return false }
        guard let max = expected.max else { return true }
        guard let actualMax = actual.max else { return false }
        return actualMax <= max
    }

    /// A module may import less and export more than its type says.
    static func moduleMismatch(_ actual: CoreModuleType, _ expected: CoreModuleType) -> String? {
        for (module, name, type) in actual.imports {
            guard let supplied = expected.imports.first(where: { $0.module == module && $0.name == name }) else {
                return "missing expected import `\(module)::\(name)`"
            }
            if let inner = mismatch(supplied.type, type) { return "type mismatch in import `\(module)::\(name)`: \(inner)" }
        }
        for (name, type) in expected.exports {
            guard let provided = actual.export(name) else { return "missing expected export `\(name)`" }
            if let inner = mismatch(provided, type) { return "type mismatch in export `\(name)`: \(inner)" }
        }
        return nil
    }
}

extension ComponentValidator {
    /// Whether `actual` may be used where `expected` is required.
    func entityMismatch(_ actual: Entity, _ expected: Entity) throws -> String? {
        try charge(expected.cost)
        switch (expected, actual) {
        case (.module(let e), .module(let a)): return CoreSubtyping.moduleMismatch(a, e)
        case (.function(let e), .function(let a)): return ValueSubtyping.functionMismatch(a, e)
        case (.type(let e), .type(let a)): return try typeMismatch(a, e)
        case (.instance(let e), .instance(let a)): return try instanceMismatch(a, e)
        case (.component(let e), .component(let a)): return try componentMismatch(a, e)
        default: return "expected \(expected.sortName), found \(actual.sortName)"
        }
    }

    private func typeMismatch(_ actual: TypeEntry, _ expected: TypeEntry) throws -> String? {
        switch (expected, actual) {
        case (.resource(_, let e), .resource(_, let a)): return e == a ? nil : "resource types are not the same"
        case (.resource, _): return "expected resource, found \(actual.kindName)"
        case (.value(let e), .value(let a)): return ValueSubtyping.mismatch(a, e)
        case (.value, _): return "expected defined type, found \(actual.kindName)"
        case (.function(let e), .function(let a)): return ValueSubtyping.functionMismatch(a, e)
        case (.instance(let e), .instance(let a)):
            if let problem = try instanceMismatch(a, e) { return problem }
            return try instanceMismatch(e, a)
        case (.component(let e), .component(let a)):
            if let problem = try componentMismatch(a, e) { return problem }
            return try componentMismatch(e, a)
        default: return "expected \(expected.kindName), found \(actual.kindName)"
        }
    }

    /// Every export the expected instance type names must be present and fit; extra exports
    /// are allowed.
    func instanceMismatch(_ actual: VInstanceType, _ expected: VInstanceType) throws -> String? {
        for (name, type) in expected.exports {
            guard let provided = actual.export(name) else { return "missing expected export `\(name)`" }
            if let inner = try entityMismatch(provided, type) { return "type mismatch in instance export `\(name)`: \(inner)" }
        }
        return nil
    }

    /// `actual` fits `expected` when instantiating it with the imports `expected` promises
    /// yields exports that fit the ones `expected` promises.
    func componentMismatch(_ actual: VComponentType, _ expected: VComponentType) throws -> String? {
        var arguments: [String: Entity] = [:]
        for (name, type) in expected.imports { arguments[name] = type }
        let map = Self.importMapping(actual, arguments)
        for (name, type) in actual.imports {
            guard let supplied = arguments[name] else { return "missing expected import `\(name)`" }
            if let inner = try entityMismatch(supplied, type.remapped(map)) { return "type mismatch in import `\(name)`: \(inner)" }
        }
        var exports: [String: Entity] = [:]
        for (name, type) in actual.exports { exports[name] = type.remapped(map) }
        var expectedMap = Remapping()
        for resource in expected.definedResources {
            guard let path = Self.path(to: resource, in: expected.exports),
                  case .type(.resource(_, let provided))? = Self.lookup(exports, path) else { continue }
            expectedMap.resources[resource] = provided
        }
        for (name, type) in expected.exports {
            guard let provided = exports[name] else { return "missing expected export `\(name)`" }
            if let inner = try entityMismatch(provided, type.remapped(expectedMap)) { return "type mismatch in export `\(name)`: \(inner)" }
        }
        return nil
    }

    /// The substitution of a component type's imported resources and type identities by the
    /// ones `arguments` supply at the same paths.
    static func importMapping(_ type: VComponentType, _ arguments: [String: Entity]) -> Remapping {
        var map = Remapping()
        for (resource, path) in type.importedResources {
            if case .type(.resource(_, let supplied))? = lookup(arguments, path) { map.resources[resource] = supplied }
        }
        for (id, path) in type.importedTypeIDs {
            if case .type(let entry)? = lookup(arguments, path), let supplied = entry.typeID { map.types[id] = supplied }
        }
        return map
    }

    /// The entity at `path` (a name, then export names of nested instances).
    static func lookup(_ items: [String: Entity], _ path: [String]) -> Entity? {
        guard let first = path.first, var entity = items[first] else { return nil }
        for name in path.dropFirst() {
            guard case .instance(let instance) = entity, let next = instance.export(name) else { return nil }
            entity = next
        }
        return entity
    }

    /// Where `resource` is exported as a type in `exports`, searching nested instances.
    static func path(to resource: ResourceID, in exports: [(String, Entity)]) -> [String]? {
        for (name, entity) in exports {
            switch entity {
            case .type(.resource(_, let id)) where id == resource: return [name]
            case .instance(let instance):
                if let inner = path(to: resource, in: instance.exports) { return [name] + inner }
            default: continue
            }
        }
        return nil
    }
}
