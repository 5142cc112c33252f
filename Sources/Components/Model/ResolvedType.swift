/// A component-level type after index resolution: what one entry of a type index space means
/// to the linker (the validator has already checked every rule).
indirect enum ResolvedType: Sendable {
    /// A value type, with its structural node count (see `DecodeLimits.maxTypeNodes`) and depth.
    case value(WITType, nodes: Int, depth: Int)
    case function(WITFunctionType)
    /// An instance type: its exports in declaration order.
    case instance([(String, ResolvedType)])
    /// A component type: imports and exports in declaration order.
    case component(imports: [(String, ResolvedType)], exports: [(String, ResolvedType)])
    /// A resource type (imported, exported or defined); the name is for messages and WIT output.
    case resource(name: String)
    /// A core module type (only as an import/export descriptor).
    case module
    /// A value or function type calls cannot carry here (streams, futures, error contexts,
    /// fixed-length lists too large to spell out); using it in a call traps with the reason.
    case unrepresentable(String)

    var kindName: String {
        switch self {
        case .value: return "value type"
        case .function: return "func type"
        case .instance: return "instance type"
        case .component: return "component type"
        case .resource: return "resource type"
        case .module: return "module type"
        case .unrepresentable: return "value type"
        }
    }
}

/// Counts type nodes resolved across a whole component, shared by all scopes (of one decode, on
/// one thread: not `Sendable`).
final class TypeBudget {
    private var used = 0
    /// Resource types named so far (see `freshResourceName`).
    var resourceCounter = 0

    func charge(_ nodes: Int, _ context: String) throws {
        used += nodes
        guard used <= DecodeLimits.maxTotalTypeNodes else {
            throw ComponentError.unsupported("\(context): more than \(DecodeLimits.maxTotalTypeNodes) type nodes in one component")
        }
    }
}

/// Thrown inside type resolution when a value type cannot be represented as a `WITType`.
private struct Unrepresentable: Error {
    var reason: String
}

/// Builds `WITType`s from `defvaltype`s against a stack of type index spaces (innermost last).
struct TypeScopes {
    /// Type index spaces: `[0]` is the outermost component, the last one is the current scope.
    var stack: [[ResolvedType]] = [[]]
    /// Shared across the nested scopes of one component.
    var budget = TypeBudget()

    var current: [ResolvedType] {
        get { stack[stack.count - 1] }
        set { stack[stack.count - 1] = newValue }
    }

    func lookup(_ index: UInt32, _ context: String) throws -> ResolvedType {
        let types = current
        guard Int(index) < types.count else {
            throw ComponentError.invalid("\(context): type index \(index) out of range (\(types.count) types defined)")
        }
        return types[Int(index)]
    }

    /// The type `count` scopes out (0 = current).
    func outer(count: UInt32, index: UInt32, _ context: String) throws -> ResolvedType {
        guard Int(count) < stack.count else {
            throw ComponentError.invalid("\(context): outer alias count \(count) exceeds the \(stack.count) enclosing scopes")
        }
        let types = stack[stack.count - 1 - Int(count)]
        guard Int(index) < types.count else {
            throw ComponentError.invalid("\(context): outer type index \(index) out of range")
        }
        return types[Int(index)]
    }

    /// Resolves a `valtype` to a WIT type, its node count and depth.
    private func valType(_ type: ValType, _ context: String) throws -> (WITType, Int, Int) {
        switch type {
        case .primitive(let primitive):
            guard let wit = primitive.wit else { throw Unrepresentable(reason: "error-context values") }
            return (wit, 1, 1)
        case .index(let index):
            switch try lookup(index, context) {
            case .value(let wit, let nodes, let depth): return (wit, nodes, depth)
            case .unrepresentable(let reason): throw Unrepresentable(reason: reason)
            default: throw ComponentError.invalid("\(context): type index \(index) is not a value type")
            }
        }
    }

    /// Resolves a `defvaltype`, enforcing the structural size cap.
    func defValType(_ def: DefValType, _ context: String) throws -> ResolvedType {
        do {
            return try representable(def, context)
        } catch let unrepresentable as Unrepresentable {
            return .unrepresentable(unrepresentable.reason)
        }
    }

    private func representable(_ def: DefValType, _ context: String) throws -> ResolvedType {
        var nodes = 1
        var depth = 1
        func sub(_ type: ValType) throws -> WITType {
            let (wit, count, subDepth) = try valType(type, context)
            nodes += count
            depth = max(depth, subDepth + 1)
            guard nodes <= DecodeLimits.maxTypeNodes else {
                throw Unrepresentable(reason: "a value type larger than \(DecodeLimits.maxTypeNodes) nodes")
            }
            guard depth <= DecodeLimits.maxTypeDepth else {
                throw ComponentError.unsupported("\(context): a value type nested deeper than \(DecodeLimits.maxTypeDepth) levels")
            }
            return wit
        }
        let wit: WITType
        switch def {
        case .primitive(let primitive):
            guard let type = primitive.wit else { throw Unrepresentable(reason: "error-context values") }
            wit = type
        case .record(let fields): wit = .record(name: nil, fields: try fields.map { WITType.Field(name: $0.0, type: try sub($0.1)) })
        case .variant(let cases): wit = .variant(name: nil, cases: try cases.map { WITType.Case(name: $0.0, type: try $0.1.map(sub)) })
        case .list(let element): wit = .list(try sub(element))
        case .fixedList(let element, let count):
            // `list<T, N>` has the layout and flattening of `tuple<T × N>`: carried as one.
            let (type, elementNodes, _) = try valType(element, context)
            guard Int(count) * elementNodes <= DecodeLimits.maxTypeNodes else {
                throw Unrepresentable(reason: "a fixed-length list of \(count) elements")
            }
            wit = .tuple(Array(repeating: type, count: Int(count)))
            nodes += Int(count) * elementNodes
            depth += 1
        case .map(let key, let value):
            // `map<K, V>` has the layout of `list<tuple<K, V>>`.
            wit = .list(.tuple([try sub(key), try sub(value)]))
            nodes += 1
        case .tuple(let elements): wit = .tuple(try elements.map(sub))
        case .flags(let names): wit = .flags(name: nil, names: names)
        case .enum(let names): wit = .enum(name: nil, cases: names)
        case .option(let inner): wit = .option(try sub(inner))
        case .result(let ok, let err): wit = .result(ok: try ok.map(sub), err: try err.map(sub))
        case .own(let index): wit = .own(resource: try resourceName(index, context))
        case .borrow(let index): wit = .borrow(resource: try resourceName(index, context))
        case .stream: throw Unrepresentable(reason: "stream values")
        case .future: throw Unrepresentable(reason: "future values")
        }
        try budget.charge(nodes, context)
        return .value(wit, nodes: nodes, depth: depth)
    }

    func resourceName(_ index: UInt32, _ context: String) throws -> String {
        guard case .resource(let name) = try lookup(index, context) else {
            throw ComponentError.invalid("\(context): handle type index \(index) is not a resource type")
        }
        return name
    }

    /// Resolves a `functype`; one whose types cannot be carried becomes `.unrepresentable`.
    func funcType(_ def: FuncTypeDef, _ context: String) throws -> ResolvedType {
        var nodes = 0
        func resolve(_ name: String, _ type: ValType) throws -> WITParameter {
            let (wit, count, _) = try valType(type, context)
            nodes += count
            return WITParameter(name: name, type: wit)
        }
        do {
            let params = try def.params.map { try resolve($0.0, $0.1) }
            let results = try def.result.map { [try resolve("", $0)] } ?? []
            try budget.charge(nodes + 1, context)
            return .function(WITFunctionType(params: params, results: results))
        } catch let unrepresentable as Unrepresentable {
            return .unrepresentable("a function with \(unrepresentable.reason)")
        }
    }

    /// Gives a named type export its name (records, variants, enums, flags, resources).
    static func named(_ type: ResolvedType, _ name: String) -> ResolvedType {
        // A resource keeps its identity (its unique name) whatever name it is exported under.
        guard case .value(let wit, let nodes, let depth) = type else { return type }
        switch wit {
        case .record(_, let fields): return .value(.record(name: name, fields: fields), nodes: nodes, depth: depth)
        case .variant(_, let cases): return .value(.variant(name: name, cases: cases), nodes: nodes, depth: depth)
        case .enum(_, let cases): return .value(.enum(name: name, cases: cases), nodes: nodes, depth: depth)
        case .flags(_, let names): return .value(.flags(name: name, names: names), nodes: nodes, depth: depth)
        default: return type
        }
    }

    /// Resolves an `externdesc` in the current scope.
    func externDesc(_ desc: ExternDesc, name: String, _ context: String) throws -> ResolvedType {
        switch desc {
        case .module: return .module
        case .function(let index):
            let type = try lookup(index, context)
            switch type {
            case .function, .unrepresentable: return type
            default: throw ComponentError.invalid("\(context): '\(name)' is declared as a func but type \(index) is not a func type")
            }
        case .value: throw ComponentError.unsupported("\(context): value imports/exports")
        case .type(.eq(let index)): return Self.named(try lookup(index, context), name)
        case .type(.subResource): return .resource(name: budget.freshResourceName(name))
        case .component(let index), .instance(let index):
            return try lookup(index, context)
        }
    }

    /// Resolves a type definition in the current scope (instance and component types get their
    /// own nested scope, as the explainer requires).
    mutating func typeDef(_ def: TypeDef, _ context: String) throws -> ResolvedType {
        switch def {
        case .value(let value): return try defValType(value, context)
        case .function(let function): return try funcType(function, context)
        case .resource: return .resource(name: budget.freshResourceName("resource"))
        case .instance(let decls):
            let (_, exports) = try declarations(decls, context)
            return .instance(exports)
        case .component(let decls):
            let (imports, exports) = try declarations(decls, context)
            return .component(imports: imports, exports: exports)
        }
    }

    /// Walks the declarations of an instance or component type in a fresh type index space.
    mutating func declarations(_ decls: [TypeDecl], _ context: String) throws -> (imports: [(String, ResolvedType)], exports: [(String, ResolvedType)]) {
        stack.append([])
        defer { stack.removeLast() }
        var imports: [(String, ResolvedType)] = []
        var exports: [(String, ResolvedType)] = []
        /// Instance-typed declarations, for `alias export` inside the type.
        var instances: [[(String, ResolvedType)]] = []
        for decl in decls {
            switch decl {
            case .coreType: break
            case .type(let def):
                current.append(try typeDef(def, context))
            case .alias(let alias):
                switch (alias.sort, alias.target) {
                case (.type, .outer(let count, let index)):
                    current.append(try outer(count: count, index: index, context))
                case (_, .export(let instance, let name)):
                    guard Int(instance) < instances.count, let item = instances[Int(instance)].first(where: { $0.0 == name })?.1 else {
                        throw ComponentError.invalid("\(context): instance \(instance) has no export '\(name)'")
                    }
                    if case .instance(let exports) = item { instances.append(exports) } else { current.append(item) }
                default:
                    break
                }
            case .export(let name, let desc), .import(let name, let desc):
                let type = try externDesc(desc, name: name.name, context)
                if case .import = decl { imports.append((name.name, type)) } else { exports.append((name.name, type)) }
                switch desc {
                case .type: current.append(type)
                case .instance:
                    if case .instance(let members) = type { instances.append(members) }
                default: break
                }
            }
        }
        return (imports, exports)
    }
}
