// Imports (from the host at the top level, from instantiation arguments below it) and
// instance definitions, including the instantiation of nested components.

extension ComponentLinker {
    mutating func instance(_ expr: InstanceExpr, _ scope: inout Scope) throws -> InstanceValue {
        let context = "instance section"
        switch expr {
        case .inline(let items):
            return InstanceValue(exports: try items.map { ($0.0.name, try resolve($0.1, scope, context)) })
        case .instantiate(let component, let args):
            guard Int(component) < scope.components.count else {
                throw ComponentError.invalid("\(context): component index \(component) out of range")
            }
            var arguments: [String: ComponentItem] = [:]
            for (name, target) in args {
                guard arguments.updateValue(try resolve(target, scope, context), forKey: name) == nil else {
                    throw ComponentError.invalid("\(context): duplicate argument '\(name)'")
                }
            }
            let nested = scope.components[Int(component)]
            let instanceID = plan.componentInstances
            plan.componentInstances += 1
            guard plan.componentInstances <= DecodeLimits.maxInstances else {
                throw ComponentError.unsupported("the component creates more than \(DecodeLimits.maxInstances) component instances")
            }
            var inner = Scope(types: TypeScopes(stack: nested.typeStack + [[]], budget: scope.types.budget), arguments: arguments, instanceID: instanceID)
            inner.moduleStack = nested.moduleStack
            inner.componentStack = nested.componentStack
            try run(nested.ast, &inner)
            return InstanceValue(exports: inner.exports)
        }
    }

    mutating func importItem(name: String, desc: ExternDesc, _ scope: inout Scope) throws {
        let context = "import section"
        let type = try scope.types.externDesc(desc, name: name, context)
        if let arguments = scope.arguments {
            guard let item = arguments[name] else {
                throw ComponentError.invalid("\(context): nested component import '\(name)' is not supplied")
            }
            if case .type(let supplied) = item, case .type(let bound) = desc {
                // A `(sub resource)` import takes on the supplied resource's identity; an `eq`
                // bound already resolved to it through the declared type.
                if case .subResource = bound {
                    guard case .resource = supplied else {
                        throw ComponentError.invalid("\(context): nested component import '\(name)' needs a resource type")
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
        try hostImport(name: name, type: type, &scope)
    }

    /// A top-level import, bound to what the host registered under its name.
    private mutating func hostImport(name: String, type: ResolvedType, _ scope: inout Scope) throws {
        let context = "import section"
        switch type {
        case .function(let functionType):
            guard let host = hostImports.functions[name] else { throw ComponentError.missingImport(name) }
            scope.functions.append(.imported(name: name, host: try host.bound(to: functionType, name: name), type: functionType))
        case .unrepresentable(let reason):
            throw ComponentError.unsupported("\(context): import '\(name)' uses \(reason)")
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
                case .unrepresentable(let reason):
                    throw ComponentError.unsupported("\(context): import '\(name)#\(exportName)' uses \(reason)")
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
            throw ComponentError.unsupported("\(context): importing a \(type.kindName) ('\(name)') from the host")
        }
    }
}
