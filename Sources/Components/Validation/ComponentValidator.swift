/// Validates a decoded component against the Component Model's rules (Explainer.md and
/// Binary.md), the way wasmtime's validator does: every definition of every nesting level,
/// including nested components that are never instantiated, is type-checked; instantiation
/// arguments are checked against import types with resource and type identities substituted;
/// names, external visibility of types and the canonical options are checked. Core module
/// code is validated separately by WasmKit (`CoreModuleValidation`).
///
/// Throws `ComponentError.invalid` (a rule is broken), `.malformed` (a core module does not
/// decode) or `.unsupported` (a valid construct this layer does not implement).
final class ComponentValidator {
    /// Core modules found at every level, for code validation by WasmKit.
    private(set) var coreModules: [ModuleSource: ArraySlice<UInt8>] = [:]

    private var nextTypeID = 0
    private var nextResourceID = 0
    /// Enclosing scopes, outermost first (the current scope is passed along).
    var stack: [ValidatorScope] = []
    /// Definitions and type nodes processed; bounds the work a hostile binary can cause.
    private var work = 0
    static let maxWork = 20_000_000

    /// Validates the top-level component.
    static func validate(_ ast: ComponentAST) throws -> ComponentValidator {
        let validator = ComponentValidator()
        _ = try validator.component(ast)
        return validator
    }

    func freshTypeID() -> TypeID {
        nextTypeID += 1
        return nextTypeID
    }

    func freshResource() -> ResourceID {
        nextResourceID += 1
        return nextResourceID
    }

    /// Charges `units` of validation work.
    func charge(_ units: Int) throws {
        work += units
        guard work <= Self.maxWork else {
            throw ComponentError.unsupported("the component is too complex to validate (more than \(Self.maxWork) steps)")
        }
    }

    /// Validates one component definition and returns its type.
    func component(_ ast: ComponentAST) throws -> VComponentType {
        var scope = ValidatorScope(kind: .component)
        for definition in ast.definitions {
            try charge(1)
            try self.definition(definition, ast, &scope)
        }
        return scope.componentType
    }

    private func definition(_ definition: Definition, _ ast: ComponentAST, _ scope: inout ValidatorScope) throws {
        switch definition {
        case .coreModule(let index):
            let bytes = ast.moduleBytes[index]
            let type = try CoreModuleValidation.signature(bytes)
            coreModules[ModuleSource(component: ast.id, index: index)] = bytes
            scope.modules.append(type)
        case .coreInstance(let expr):
            scope.coreInstances.append(try coreInstance(expr, scope))
        case .coreType(let def):
            scope.coreTypes.append(try coreType(def, scope))
        case .component(let nested):
            stack.append(scope)
            defer { stack.removeLast() }
            let type = try component(nested)
            scope.components.append(type)
        case .instance(let expr):
            scope.instances.append(try instance(expr, &scope))
        case .alias(let alias):
            try self.alias(alias, &scope)
        case .type(let def):
            scope.types.append(try typeDef(def, &scope))
        case .canon(let canon):
            try self.canon(canon, &scope)
        case .import(let name, let desc):
            try importItem(name, desc, &scope)
        case .export(let name, let target, let desc):
            try exportItem(name, target, desc, &scope)
        }
    }

    // MARK: core instances

    private func coreInstance(_ expr: CoreInstanceExpr, _ scope: ValidatorScope) throws -> [String: CoreExternType] {
        switch expr {
        case .instantiate(let moduleIndex, let args):
            guard Int(moduleIndex) < scope.modules.count else {
                throw ComponentError.invalid("unknown module \(moduleIndex): module index out of bounds")
            }
            let module = scope.modules[Int(moduleIndex)]
            var supplied: [String: [String: CoreExternType]] = [:]
            for (name, instance) in args {
                let index = try ValidatorScope.check(instance, scope.coreInstances.count, "core instance")
                guard supplied.updateValue(scope.coreInstances[index], forKey: name) == nil else {
                    throw ComponentError.invalid("duplicate module instantiation argument named `\(name)`")
                }
            }
            for (moduleName, field, expected) in module.imports {
                guard let instance = supplied[moduleName] else {
                    throw ComponentError.invalid("missing module instantiation argument named `\(moduleName)`")
                }
                guard let actual = instance[field] else {
                    throw ComponentError.invalid("module instantiation argument `\(moduleName)` does not export an item named `\(field)`")
                }
                if let mismatch = CoreSubtyping.mismatch(actual, expected) {
                    throw ComponentError.invalid("type mismatch for export `\(field)` of module instantiation argument `\(moduleName)`: \(mismatch)")
                }
            }
            var exports: [String: CoreExternType] = [:]
            for (name, type) in module.exports { exports[name] = type }
            return exports
        case .inline(let items):
            var exports: [String: CoreExternType] = [:]
            for (name, ref) in items {
                let type: CoreExternType
                switch ref.sort {
                case .function: type = .function(try scope.coreFunction(ref.index))
                case .table: type = scope.coreTables[try ValidatorScope.check(ref.index, scope.coreTables.count, "table")]
                case .memory: type = scope.coreMemories[try ValidatorScope.check(ref.index, scope.coreMemories.count, "memory")]
                case .global: type = scope.coreGlobals[try ValidatorScope.check(ref.index, scope.coreGlobals.count, "global")]
                case .tag:
                    guard Int(ref.index) < scope.coreTags.count else { throw ComponentError.invalid("unknown tag \(ref.index): tag index out of bounds") }
                    type = scope.coreTags[Int(ref.index)]
                default: throw ComponentError.invalid("core instance export `\(name)`: a core \(ref.sort) cannot be exported by a core instance")
                }
                guard exports.updateValue(type, forKey: name) == nil else {
                    throw ComponentError.invalid("export name `\(name)` already defined")
                }
            }
            return exports
        }
    }

    // MARK: aliases

    private func alias(_ alias: Alias, _ scope: inout ValidatorScope) throws {
        switch alias.target {
        case .coreExport(let instance, let name):
            guard case .core(let sort) = alias.sort else { throw ComponentError.invalid("core export alias with a non-core sort") }
            let index = try ValidatorScope.check(instance, scope.coreInstances.count, "core instance")
            guard let type = scope.coreInstances[index][name] else {
                throw ComponentError.invalid("core instance \(instance) has no export named `\(name)`")
            }
            switch (sort, type) {
            case (.function, .function(let function)): scope.coreFunctions.append(function)
            case (.table, .table): scope.coreTables.append(type)
            case (.memory, .memory): scope.coreMemories.append(type)
            case (.global, .global): scope.coreGlobals.append(type)
            case (.tag, .tag): scope.coreTags.append(type)
            default:
                throw ComponentError.invalid("export `\(name)` for core instance \(instance) is not a \(sort)")
            }
        case .export(let instance, let name):
            scope.append(try instanceExport(instance, name, alias.sort, scope))
        case .outer(let count, let index):
            try outerAlias(alias.sort, count: count, index: index, &scope)
        }
    }

    /// The export `name` of instance `instance`, which must be of `sort`.
    func instanceExport(_ instance: UInt32, _ name: String, _ sort: Sort, _ scope: ValidatorScope) throws -> Entity {
        let type = try scope.instance(instance)
        guard let entity = type.export(name) else {
            throw ComponentError.invalid("instance \(instance) has no export named `\(name)`")
        }
        guard Self.sort(of: entity) == sort else {
            throw ComponentError.invalid("export `\(name)` of instance \(instance) is not a \(Self.sortName(sort))")
        }
        return entity
    }

    static func sort(of entity: Entity) -> Sort {
        switch entity {
        case .module: return .core(.module)
        case .function: return .function
        case .type: return .type
        case .instance: return .instance
        case .component: return .component
        }
    }

    static func sortName(_ sort: Sort) -> String {
        switch sort {
        case .core(.module): return "module"
        case .core(let core): return "core \(core)"
        case .function: return "func"
        case .value: return "value"
        case .type: return "type"
        case .component: return "component"
        case .instance: return "instance"
        }
    }

    /// `alias outer ct idx`: a type, core type, core module or component of an enclosing
    /// scope. Crossing a component boundary, a type may not mention resources.
    func outerAlias(_ sort: Sort, count: UInt32, index: UInt32, _ scope: inout ValidatorScope) throws {
        guard Int(count) <= stack.count else {
            throw ComponentError.invalid("invalid outer alias count of \(count)")
        }
        let target = count == 0 ? scope : stack[stack.count - Int(count)]
        let crossesComponent = count > 0 && ([scope.kind] + stack.suffix(Int(count) - 1).map(\.kind)).contains(.component)
        switch sort {
        case .type:
            let entry = try target.type(index)
            if crossesComponent && entry.containsResource {
                throw ComponentError.invalid("outer alias of type \(index): the type transitively refers to resources, which may not cross a component boundary")
            }
            scope.types.append(entry)
        case .core(.type):
            scope.coreTypes.append(try target.coreType(index))
        case .core(.module):
            scope.modules.append(try target.module(index))
        case .component:
            scope.components.append(try target.component(index))
        default:
            throw ComponentError.invalid("outer item of sort \(Self.sortName(sort)) is not a module, type, or component")
        }
    }
}
