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

/// A nested component definition, with the type scopes it can reach through outer aliases.
struct NestedComponent: Sendable {
    var ast: ComponentAST
    var typeStack: [[ResolvedType]]
}

/// Resolves a decoded component into a `LinkPlan`: builds the index spaces in definition order,
/// checks every index and name, parses the core modules with WasmKit, binds host imports, and
/// evaluates nested components (wit-component's shims for exported interfaces). Core modules and
/// core instances are supported at the top level only.
struct ComponentLinker {
    var plan = LinkPlan()
    let hostImports: HostImports
    /// Definitions processed so far across all nesting levels (bounds nested instantiation work).
    private var work = 0

    init(hostImports: HostImports) {
        self.hostImports = hostImports
    }

    /// Links the top-level component.
    static func link(_ ast: ComponentAST, hostImports: HostImports) throws -> LinkPlan {
        var linker = ComponentLinker(hostImports: hostImports)
        var scope = Scope(types: TypeScopes(), arguments: nil)
        try linker.run(ast, &scope)
        for (name, item) in scope.exports {
            try linker.publish(name: name, item: item)
        }
        return linker.plan
    }

    /// The index spaces of one component level.
    struct Scope {
        var types: TypeScopes
        /// nil at the top level (imports come from the host); otherwise the instantiate arguments.
        var arguments: [String: ComponentItem]?
        var functions: [ComponentFunction] = []
        var instances: [InstanceValue] = []
        var components: [NestedComponent] = []
        var modules: [Int] = []
        var exports: [(String, ComponentItem)] = []
        var isTopLevel: Bool { arguments == nil }
    }

    /// Export names of each core instance with their sort, for validating aliases and imports.
    private var coreInstanceExports: [[String: CoreSort]] = []

    private mutating func run(_ ast: ComponentAST, _ scope: inout Scope) throws {
        for definition in ast.definitions {
            work += 1
            guard work <= DecodeLimits.maxDefinitions else {
                throw ComponentError.malformed("component: more than \(DecodeLimits.maxDefinitions) definitions after instantiating nested components")
            }
            switch definition {
            case .coreModule(let index):
                guard scope.isTopLevel else { throw ComponentError.unsupported("core modules inside nested components") }
                let bytes = Array(ast.moduleBytes[index])
                do {
                    let loaded = try CoreModuleLoader.load(bytes)
                    plan.modules.append(loaded.module)
                    plan.moduleState.append(loaded.state)
                } catch {
                    throw ComponentError.malformed("core module \(plan.modules.count): \(error)")
                }
                scope.modules.append(plan.modules.count - 1)
            case .coreInstance(let expr):
                guard scope.isTopLevel else { throw ComponentError.unsupported("core instances inside nested components") }
                try coreInstance(expr, scope)
            case .coreType:
                break
            case .component(let nested):
                scope.components.append(NestedComponent(ast: nested, typeStack: scope.types.stack))
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
                try importItem(name: name, desc: desc, &scope)
            case .export(let name, let target, let desc):
                var item = try resolve(target, scope, "export section")
                if let desc, case .function(let declared) = try scope.types.externDesc(desc, name: name, "export section"),
                   case .function(.lifted(var lifted)) = item {
                    lifted.type = declared
                    item = .function(.lifted(lifted))
                }
                if case .type(let type) = item { item = .type(TypeScopes.named(type, name)) }
                guard !scope.exports.contains(where: { $0.0 == name }) else {
                    throw ComponentError.malformed("export section: duplicate export '\(name)'")
                }
                scope.exports.append((name, item))
                append(item, to: &scope)
            }
        }
    }

    /// Adds an item to the index space of its sort (imports, exports and aliases all do this).
    private func append(_ item: ComponentItem, to scope: inout Scope) {
        switch item {
        case .function(let function): scope.functions.append(function)
        case .instance(let instance): scope.instances.append(instance)
        case .type(let type): scope.types.current.append(type)
        case .component(let component): scope.components.append(component)
        case .module(let module): scope.modules.append(module)
        }
    }

    private func resolve(_ target: SortIndex, _ scope: Scope, _ context: String) throws -> ComponentItem {
        let index = Int(target.index)
        func check(_ count: Int, _ what: String) throws {
            guard index < count else { throw ComponentError.malformed("\(context): \(what) index \(index) out of range (\(count) defined)") }
        }
        switch target.sort {
        case .function: try check(scope.functions.count, "func"); return .function(scope.functions[index])
        case .instance: try check(scope.instances.count, "instance"); return .instance(scope.instances[index])
        case .type: return .type(try scope.types.lookup(target.index, context))
        case .component: try check(scope.components.count, "component"); return .component(scope.components[index])
        case .core(.module): try check(scope.modules.count, "core module"); return .module(scope.modules[index])
        case .value: throw ComponentError.unsupported("\(context): component values")
        case .core(let sort): throw ComponentError.malformed("\(context): core \(sort) cannot be used as a component item")
        }
    }

    private mutating func coreInstance(_ expr: CoreInstanceExpr, _ scope: Scope) throws {
        let context = "core instance section"
        switch expr {
        case .instantiate(let moduleIndex, let args):
            guard Int(moduleIndex) < scope.modules.count else {
                throw ComponentError.malformed("\(context): core module index \(moduleIndex) out of range")
            }
            var bound: [String: Int] = [:]
            for (name, instance) in args {
                guard Int(instance) < plan.coreInstances.count else {
                    throw ComponentError.malformed("\(context): argument '\(name)' names core instance \(instance), which is not defined yet")
                }
                guard bound.updateValue(Int(instance), forKey: name) == nil else {
                    throw ComponentError.malformed("\(context): duplicate argument '\(name)'")
                }
            }
            let planModule = scope.modules[Int(moduleIndex)]
            let module = plan.modules[planModule]
            for entry in module.imports {
                guard let instance = bound[entry.module] else {
                    throw ComponentError.malformed("\(context): core module \(planModule) imports from '\(entry.module)' but no instance is supplied for it")
                }
                guard coreInstanceExports[instance][entry.name] != nil else {
                    throw ComponentError.malformed("\(context): core module \(planModule) imports '\(entry.module)'.'\(entry.name)', which core instance \(instance) does not export")
                }
            }
            var exports: [String: CoreSort] = [:]
            // The reserved state exports (CoreStateRewriter) are the host's, not the component's.
            for export in module.exports where !CoreStateExports.isReserved(export.name) {
                switch export.descriptor {
                case .function: exports[export.name] = .function
                case .table: exports[export.name] = .table
                case .memory: exports[export.name] = .memory
                case .global: exports[export.name] = .global
                case .tag: break
                }
            }
            coreInstanceExports.append(exports)
            plan.coreInstances.append(.instantiate(module: planModule, args: args.map { ($0.0, Int($0.1)) }))
        case .inline(let items):
            var exports: [String: CoreSort] = [:]
            var resolved: [(String, CoreItem)] = []
            for (name, ref) in items {
                let index = Int(ref.index)
                func check(_ count: Int) throws {
                    guard index < count else { throw ComponentError.malformed("\(context): inline export '\(name)' index \(index) out of range") }
                }
                switch ref.sort {
                case .function: try check(plan.coreFunctions.count); resolved.append((name, .function(index)))
                case .table: try check(plan.coreTables.count); resolved.append((name, .table(index)))
                case .memory: try check(plan.coreMemories.count); resolved.append((name, .memory(index)))
                case .global: try check(plan.coreGlobals.count); resolved.append((name, .global(index)))
                default: throw ComponentError.unsupported("\(context): inline export of core \(ref.sort)")
                }
                guard exports.updateValue(ref.sort, forKey: name) == nil else {
                    throw ComponentError.malformed("\(context): duplicate inline export '\(name)'")
                }
            }
            coreInstanceExports.append(exports)
            plan.coreInstances.append(.inline(resolved))
        }
    }

    private mutating func alias(_ alias: Alias, _ scope: inout Scope) throws {
        let context = "alias section"
        switch alias.target {
        case .coreExport(let instance, let name):
            guard case .core(let sort) = alias.sort else { throw ComponentError.malformed("\(context): core export alias with a non-core sort") }
            guard Int(instance) < coreInstanceExports.count else {
                throw ComponentError.malformed("\(context): core instance index \(instance) out of range")
            }
            guard let actual = coreInstanceExports[Int(instance)][name] else {
                throw ComponentError.malformed("\(context): core instance \(instance) has no export '\(name)'")
            }
            guard actual == sort else {
                throw ComponentError.malformed("\(context): core export '\(name)' is a \(actual), not a \(sort)")
            }
            let ref = CoreExportRef(instance: Int(instance), name: name)
            switch sort {
            case .function: plan.coreFunctions.append(.export(instance: ref.instance, name: name))
            case .table: plan.coreTables.append(ref)
            case .memory: plan.coreMemories.append(ref)
            case .global: plan.coreGlobals.append(ref)
            default: throw ComponentError.unsupported("\(context): alias of core \(sort)")
            }
        case .export(let instance, let name):
            guard Int(instance) < scope.instances.count else {
                throw ComponentError.malformed("\(context): instance index \(instance) out of range")
            }
            guard let item = scope.instances[Int(instance)].export(name) else {
                throw ComponentError.malformed("\(context): instance \(instance) has no export '\(name)'")
            }
            guard Self.sort(of: item) == alias.sort else {
                throw ComponentError.malformed("\(context): export '\(name)' of instance \(instance) is not a \(alias.sort)")
            }
            append(item, to: &scope)
        case .outer(let count, let index):
            switch alias.sort {
            case .type: scope.types.current.append(try scope.types.outer(count: count, index: index, context))
            default: throw ComponentError.unsupported("\(context): outer alias of \(alias.sort)")
            }
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

    private mutating func instance(_ expr: InstanceExpr, _ scope: inout Scope) throws -> InstanceValue {
        let context = "instance section"
        switch expr {
        case .inline(let items):
            return InstanceValue(exports: try items.map { ($0.0, try resolve($0.1, scope, context)) })
        case .instantiate(let component, let args):
            guard Int(component) < scope.components.count else {
                throw ComponentError.malformed("\(context): component index \(component) out of range")
            }
            var arguments: [String: ComponentItem] = [:]
            for (name, target) in args {
                guard arguments.updateValue(try resolve(target, scope, context), forKey: name) == nil else {
                    throw ComponentError.malformed("\(context): duplicate argument '\(name)'")
                }
            }
            let nested = scope.components[Int(component)]
            var inner = Scope(types: TypeScopes(stack: nested.typeStack + [[]], budget: scope.types.budget), arguments: arguments)
            try run(nested.ast, &inner)
            return InstanceValue(exports: inner.exports)
        }
    }

    private mutating func canon(_ canon: Canon, _ scope: inout Scope) throws {
        let context = "canon section"
        switch canon {
        case .lift(let coreFunction, let def, let typeIndex):
            guard Int(coreFunction) < plan.coreFunctions.count else {
                throw ComponentError.malformed("\(context): canon lift of core func \(coreFunction), which is out of range")
            }
            guard case .function(let type) = try scope.types.lookup(typeIndex, context) else {
                throw ComponentError.malformed("\(context): canon lift type \(typeIndex) is not a func type")
            }
            let options = try resolveOptions(def, context)
            try CanonicalABI.checkOptions(options, type: type, lifting: true, context)
            scope.functions.append(.lifted(LiftedFunction(coreFunction: Int(coreFunction), options: options, type: type)))
        case .lower(let function, let def):
            guard Int(function) < scope.functions.count else {
                throw ComponentError.malformed("\(context): canon lower of func \(function), which is out of range")
            }
            let options = try resolveOptions(def, context)
            switch scope.functions[Int(function)] {
            case .imported(let name, let host, let type):
                try CanonicalABI.checkOptions(options, type: type, lifting: false, context)
                plan.coreFunctions.append(.lowered(LoweredFunction(name: name, host: host, type: type, options: options)))
            case .lifted:
                throw ComponentError.unsupported("\(context): lowering a function the component itself lifted")
            }
        case .resourceNew(let type), .resourceDrop(let type), .resourceRep(let type):
            try canonResource(canon, type: type, scope)
        }
    }

    private func resolveOptions(_ def: CanonOptionsDef, _ context: String) throws -> CanonOptions {
        var options = CanonOptions(encoding: def.encoding)
        if let memory = def.memory {
            guard Int(memory) < plan.coreMemories.count else { throw ComponentError.malformed("\(context): memory option \(memory) out of range") }
            options.memory = Int(memory)
        }
        for (value, name) in [(def.realloc, "realloc"), (def.postReturn, "post-return")] {
            guard let value else { continue }
            guard Int(value) < plan.coreFunctions.count else { throw ComponentError.malformed("\(context): \(name) option \(value) out of range") }
        }
        options.realloc = def.realloc.map(Int.init)
        options.postReturn = def.postReturn.map(Int.init)
        return options
    }

    private mutating func importItem(name: String, desc: ExternDesc, _ scope: inout Scope) throws {
        let context = "import section"
        let type = try scope.types.externDesc(desc, name: name, context)
        if let arguments = scope.arguments {
            guard let item = arguments[name] else {
                throw ComponentError.malformed("\(context): nested component import '\(name)' is not supplied")
            }
            if case .type(let supplied) = item, case .type(let bound) = desc {
                // A `(sub resource)` import takes on the supplied resource's identity; an `eq`
                // bound already resolved to it through the declared type.
                if case .subResource = bound {
                    guard case .resource = supplied else {
                        throw ComponentError.malformed("\(context): nested component import '\(name)' needs a resource type")
                    }
                    append(.type(supplied), to: &scope)
                } else {
                    append(.type(type), to: &scope)
                }
                return
            }
            append(item, to: &scope)
            return
        }
        switch type {
        case .function(let functionType):
            guard let host = hostImports.functions[name] else { throw ComponentError.missingImport(name) }
            scope.functions.append(.imported(name: name, host: try host.bound(to: functionType, name: name), type: functionType))
        case .instance(let declared):
            // An interface that only defines types (wit-bindgen imports these for shared
            // records/enums) needs nothing from the host; one with functions must be provided.
            let registered = hostImports.instance(named: name)
            let functions = declared.compactMap { if case .function = $0.1 { return $0.0 } else { return nil } }
            if let refusal = hostImports.refusal(forInstance: name) { throw ComponentError.unsupported("import \(name): \(refusal)") }
            if registered == nil, let first = functions.first {
                let more = functions.count > 1 ? " (and \(functions.count - 1) more function\(functions.count == 2 ? "" : "s") of that interface)" : ""
                throw ComponentError.missingImport("interface \(name), function '\(first)'\(more)")
            }
            let provided = registered ?? [:]
            let exports = try bindHostResources(instance: name, declared)
            var items: [(String, ComponentItem)] = []
            for (exportName, exportType) in exports {
                switch exportType {
                case .function(let functionType):
                    guard let host = provided[exportName] ?? hostImports.fallback(forInstance: name) else {
                        throw ComponentError.missingImport("interface \(name), function '\(exportName)'")
                    }
                    let path = "\(name)#\(exportName)"
                    items.append((exportName, .function(.imported(name: path, host: try host.bound(to: functionType, name: path), type: functionType))))
                case .instance: throw ComponentError.unsupported("\(context): nested instance in import '\(name)'")
                default: items.append((exportName, .type(exportType)))
                }
            }
            scope.instances.append(InstanceValue(exports: items))
        case .resource(let placeholder):
            guard let key = hostImports.resourceKey(named: name), let host = hostImports.resources[key] else {
                throw ComponentError.missingImport(name)
            }
            plan.resources[key] = .host(host)
            scope.types.current.append(type.renamingResources([placeholder: key]))
        case .value:
            scope.types.current.append(type)
        case .component, .module:
            throw ComponentError.unsupported("\(context): importing a \(type.kindName) ('\(name)')")
        }
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
