// Resource type identity. WIT types name resources by string, so within one link plan every
// resource type gets a unique name: an imported host resource is named by the host's registered
// key (`wasi:io/streams@0.2.0#output-stream`), and a resource type whose import or export name
// is not known yet (declared in an instance type, or defined by the component) gets a
// placeholder `<name #N>` that no real import name can collide with. Handle tables compare
// these names, so "same name" means "same resource type".

extension TypeBudget {
    /// A fresh, unique placeholder name for a resource type first seen as `name`.
    func freshResourceName(_ name: String) -> String {
        resourceCounter += 1
        return "<\(name) #\(resourceCounter)>"
    }

    /// Whether `name` is a placeholder from `freshResourceName`.
    static func isPlaceholder(_ name: String) -> Bool {
        name.hasPrefix("<")
    }
}

extension WITType {
    /// This type with resource names replaced through `map` (names not in it are kept).
    func renamingResources(_ map: [String: String]) -> WITType {
        guard !map.isEmpty else { return self }
        switch self {
        case .own(let resource): return .own(resource: map[resource] ?? resource)
        case .borrow(let resource): return .borrow(resource: map[resource] ?? resource)
        case .list(let element): return .list(element.renamingResources(map))
        case .record(let name, let fields):
            return .record(name: name, fields: fields.map { Field(name: $0.name, type: $0.type.renamingResources(map)) })
        case .tuple(let elements): return .tuple(elements.map { $0.renamingResources(map) })
        case .variant(let name, let cases):
            return .variant(name: name, cases: cases.map { Case(name: $0.name, type: $0.type?.renamingResources(map)) })
        case .option(let inner): return .option(inner.renamingResources(map))
        case .result(let ok, let err): return .result(ok: ok?.renamingResources(map), err: err?.renamingResources(map))
        default: return self
        }
    }
}

extension WITFunctionType {
    /// This signature with resource names replaced through `map`.
    func renamingResources(_ map: [String: String]) -> WITFunctionType {
        guard !map.isEmpty else { return self }
        return WITFunctionType(
            params: params.map { WITParameter(name: $0.name, type: $0.type.renamingResources(map)) },
            results: results.map { WITParameter(name: $0.name, type: $0.type.renamingResources(map)) })
    }
}

extension ResolvedType {
    /// This type with resource names replaced through `map`, recursively.
    func renamingResources(_ map: [String: String]) -> ResolvedType {
        guard !map.isEmpty else { return self }
        switch self {
        case .value(let wit, let nodes, let depth): return .value(wit.renamingResources(map), nodes: nodes, depth: depth)
        case .function(let function): return .function(function.renamingResources(map))
        case .instance(let exports): return .instance(exports.map { ($0.0, $0.1.renamingResources(map)) })
        case .component(let imports, let exports):
            return .component(imports: imports.map { ($0.0, $0.1.renamingResources(map)) },
                              exports: exports.map { ($0.0, $0.1.renamingResources(map)) })
        case .resource(let name): return .resource(name: map[name] ?? name)
        case .module, .unrepresentable: return self
        }
    }
}
