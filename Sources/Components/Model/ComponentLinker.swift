import WasmKit

/// A component-level item in one of the component index spaces.
indirect enum ComponentItem: Sendable {
    case function(ComponentFunction)
    case instance(InstanceValue)
    case type(ResolvedType)
    case component(NestedComponent)
    case module(Int)
}

/// A component instance value: its exports by name.
struct InstanceValue: Sendable {
    var exports: [(String, ComponentItem)]

    func export(_ name: String) -> ComponentItem? {
        exports.first { $0.0 == name }?.1
    }
}

/// A nested component definition, with the index spaces of its enclosing components at the
/// point of definition (what its outer aliases can reach), innermost last.
struct NestedComponent: Sendable {
    var ast: ComponentAST
    var typeStack: [[ResolvedType]]
    var moduleStack: [[Int]]
    var componentStack: [[NestedComponent]]
}

/// Resolves a validated component into a `LinkPlan`: evaluates the whole instantiation tree
/// statically (every nested component instantiation, with its own core modules, core instances
/// and handle table, becomes part of one flat list of core instances), binds host imports,
/// and turns `canon lower` of a function another component instance lifted into a fused call.
struct ComponentLinker {
    var plan = LinkPlan()
    let hostImports: HostImports
    /// Definitions processed so far across all nesting levels (bounds nested instantiation work).
    private var work = 0
    /// Parsed core modules by (component AST id, module index): each is parsed once however
    /// often its component is instantiated.
    private var parsedModules: [Int: [Int: Int]] = [:]
    /// Export names of each core instance with their sort, for validating aliases and imports.
    var coreInstanceExports: [[String: CoreSort]] = []

    init(hostImports: HostImports) {
        self.hostImports = hostImports
    }

    /// Links the top-level component.
    static func link(_ ast: ComponentAST, hostImports: HostImports) throws -> LinkPlan {
        var linker = ComponentLinker(hostImports: hostImports)
        var scope = Scope(types: TypeScopes(), arguments: nil, instanceID: 0)
        try linker.run(ast, &scope)
        for (name, item) in scope.exports {
            try linker.publish(name: name, item: item)
        }
        return linker.plan
    }

    /// The index spaces of one component instance being linked.
    struct Scope {
        var types: TypeScopes
        /// nil at the top level (imports come from the host); otherwise the instantiate arguments.
        var arguments: [String: ComponentItem]?
        /// This component instance's index in the runtime's per-instance state.
        let instanceID: Int
        var functions: [ComponentFunction] = []
        var instances: [InstanceValue] = []
        var components: [NestedComponent] = []
        var modules: [Int] = []
        var moduleStack: [[Int]] = []
        var componentStack: [[NestedComponent]] = []
        // Core index spaces: positions in the plan's global lists.
        var coreInstances: [Int] = []
        var coreFunctions: [Int] = []
        var coreMemories: [Int] = []
        var coreTables: [Int] = []
        var coreGlobals: [Int] = []
        var coreTags: [Int] = []
        var exports: [(String, ComponentItem)] = []
        var isTopLevel: Bool { arguments == nil }

        init(types: TypeScopes, arguments: [String: ComponentItem]?, instanceID: Int) {
            self.types = types
            self.arguments = arguments
            self.instanceID = instanceID
        }
    }

    mutating func run(_ ast: ComponentAST, _ scope: inout Scope) throws {
        for definition in ast.definitions {
            work += 1
            guard work <= DecodeLimits.maxDefinitions else {
                throw ComponentError.unsupported("component: more than \(DecodeLimits.maxDefinitions) definitions after instantiating nested components")
            }
            switch definition {
            case .coreModule(let index):
                scope.modules.append(try module(ast, index))
            case .coreInstance(let expr):
                try coreInstance(expr, &scope)
            case .coreType:
                break
            case .component(let nested):
                scope.components.append(NestedComponent(
                    ast: nested, typeStack: scope.types.stack,
                    moduleStack: scope.moduleStack + [scope.modules], componentStack: scope.componentStack + [scope.components]))
            case .instance(let expr):
                scope.instances.append(try instance(expr, &scope))
            case .alias(let alias):
                try self.alias(alias, &scope)
            case .type(.resource(let destructor)):
                scope.types.current.append(try defineResource(destructor: destructor, scope))
            case .type(let def):
                scope.types.current.append(try scope.types.typeDef(def, "type section"))
            case .canon(let canon):
                try self.canon(canon, &scope)
            case .import(let name, let desc):
                try importItem(name: name.name, desc: desc, &scope)
            case .export(let name, let target, let desc):
                try exportItem(name: name.name, target: target, desc: desc, &scope)
            }
        }
    }

    /// The plan index of core module `index` of `ast`, parsing it on first use.
    private mutating func module(_ ast: ComponentAST, _ index: Int) throws -> Int {
        if let known = parsedModules[ast.id]?[index] { return known }
        let bytes = Array(ast.moduleBytes[index])
        do {
            let loaded = try CoreModuleLoader.load(bytes)
            plan.modules.append(loaded.module)
            plan.moduleState.append(loaded.state)
            plan.moduleSources.append(ModuleSource(component: ast.id, index: index))
            plan.definedMemories.append(try CoreModuleSignature.read(ast.moduleBytes[index]).definedMemoryCount)
        } catch {
            throw ComponentError.malformed("core module \(plan.modules.count): \(error)")
        }
        parsedModules[ast.id, default: [:]][index] = plan.modules.count - 1
        return plan.modules.count - 1
    }

    private mutating func exportItem(name: String, target: SortIndex, desc: ExternDesc?, _ scope: inout Scope) throws {
        var item = try resolve(target, scope, "export section")
        if case .function(.lifted(var lifted)) = item, lifted.exportName == nil {
            lifted.exportName = name
            item = .function(.lifted(lifted))
        }
        if let desc, case .function(let declared) = try scope.types.externDesc(desc, name: name, "export section"),
           case .function(.lifted(var lifted)) = item, lifted.unsupported == nil {
            lifted.type = declared
            item = .function(.lifted(lifted))
        }
        if case .type(let type) = item {
            if let desc, case .type(.subResource) = desc {
                // `(sub resource)` ascription: the same resource under this name.
                item = .type(type)
            } else {
                item = .type(TypeScopes.named(type, name))
            }
        }
        scope.exports.append((name, item))
        append(item, to: &scope)
    }

    /// Adds an item to the index space of its sort (imports, exports and aliases all do this).
    func append(_ item: ComponentItem, to scope: inout Scope) {
        switch item {
        case .function(let function): scope.functions.append(function)
        case .instance(let instance): scope.instances.append(instance)
        case .type(let type): scope.types.current.append(type)
        case .component(let component): scope.components.append(component)
        case .module(let module): scope.modules.append(module)
        }
    }

    func resolve(_ target: SortIndex, _ scope: Scope, _ context: String) throws -> ComponentItem {
        let index = Int(target.index)
        func check(_ count: Int, _ what: String) throws {
            guard index < count else { throw ComponentError.invalid("\(context): \(what) index \(index) out of range (\(count) defined)") }
        }
        switch target.sort {
        case .function: try check(scope.functions.count, "func"); return .function(scope.functions[index])
        case .instance: try check(scope.instances.count, "instance"); return .instance(scope.instances[index])
        case .type: return .type(try scope.types.lookup(target.index, context))
        case .component: try check(scope.components.count, "component"); return .component(scope.components[index])
        case .core(.module): try check(scope.modules.count, "core module"); return .module(scope.modules[index])
        case .value: throw ComponentError.unsupported("\(context): component values")
        case .core(let sort): throw ComponentError.invalid("\(context): core \(sort) cannot be used as a component item")
        }
    }

    static func sort(of item: ComponentItem) -> Sort {
        switch item {
        case .function: return .function
        case .instance: return .instance
        case .type: return .type
        case .component: return .component
        case .module: return .core(.module)
        }
    }

    private mutating func alias(_ alias: Alias, _ scope: inout Scope) throws {
        let context = "alias section"
        switch alias.target {
        case .coreExport(let instance, let name):
            try coreAlias(alias.sort, instance: instance, name: name, &scope)
        case .export(let instance, let name):
            guard Int(instance) < scope.instances.count else {
                throw ComponentError.invalid("\(context): instance index \(instance) out of range")
            }
            guard let item = scope.instances[Int(instance)].export(name) else {
                throw ComponentError.invalid("\(context): instance \(instance) has no export '\(name)'")
            }
            guard Self.sort(of: item) == alias.sort else {
                throw ComponentError.invalid("\(context): export '\(name)' of instance \(instance) is not a \(alias.sort)")
            }
            append(item, to: &scope)
        case .outer(let count, let index):
            switch alias.sort {
            case .type: scope.types.current.append(try scope.types.outer(count: count, index: index, context))
            case .core(.type): break
            case .core(.module):
                let spaces = scope.moduleStack + [scope.modules]
                scope.modules.append(try Self.outer(spaces, count: count, index: index, "core module"))
            case .component:
                let spaces = scope.componentStack + [scope.components]
                scope.components.append(try Self.outer(spaces, count: count, index: index, "component"))
            default: throw ComponentError.invalid("\(context): outer alias of \(alias.sort)")
            }
        }
    }

    /// Item `index` of the index space `count` levels out in `spaces` (innermost last).
    static func outer<T>(_ spaces: [[T]], count: UInt32, index: UInt32, _ what: String) throws -> T {
        guard Int(count) < spaces.count else { throw ComponentError.invalid("alias section: outer alias count \(count) exceeds the enclosing components") }
        let space = spaces[spaces.count - 1 - Int(count)]
        guard Int(index) < space.count else { throw ComponentError.invalid("alias section: outer \(what) index \(index) out of range") }
        return space[Int(index)]
    }

    /// Records a top-level export: functions by name, functions of instances as `iface/func`.
    private mutating func publish(name: String, item: ComponentItem) throws {
        switch item {
        case .function(.lifted(let lifted)):
            plan.exports[name] = lifted
        case .function(.imported):
            throw ComponentError.unsupported("export '\(name)' re-exports a host import")
        case .instance(let instance):
            for (inner, innerItem) in instance.exports {
                switch innerItem {
                case .function(.lifted(let lifted)): plan.exports["\(name)/\(inner)"] = lifted
                case .function(.imported): throw ComponentError.unsupported("export '\(name)/\(inner)' re-exports a host import")
                case .type(.resource(let resource)) where TypeBudget.isPlaceholder(resource):
                    plan.resourceDisplayNames[resource] = "\(name)#\(inner)"
                default: continue
                }
            }
        case .type(.resource(let resource)) where TypeBudget.isPlaceholder(resource):
            plan.resourceDisplayNames[resource] = name
        default:
            break
        }
    }
}
