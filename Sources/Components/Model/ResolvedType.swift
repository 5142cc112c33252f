/// A component-level type after index resolution: what one entry of a type index space means.
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

    var kindName: String {
        switch self {
        case .value: return "value type"
        case .function: return "func type"
        case .instance: return "instance type"
        case .component: return "component type"
        case .resource: return "resource type"
        case .module: return "module type"
        }
    }
}

/// Counts type nodes resolved across a whole component, shared by all scopes.
final class TypeBudget: @unchecked Sendable {
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
            throw ComponentError.malformed("\(context): type index \(index) out of range (\(types.count) types defined)")
        }
        return types[Int(index)]
    }

    /// The type `count` scopes out (0 = current).
    func outer(count: UInt32, index: UInt32, _ context: String) throws -> ResolvedType {
        guard Int(count) < stack.count else {
            throw ComponentError.malformed("\(context): outer alias count \(count) exceeds the \(stack.count) enclosing scopes")
        }
        let types = stack[stack.count - 1 - Int(count)]
        guard Int(index) < types.count else {
            throw ComponentError.malformed("\(context): outer type index \(index) out of range")
        }
        return types[Int(index)]
    }

    /// Resolves a `valtype` to a WIT type and its node count.
    func valType(_ type: ValType, _ context: String) throws -> (WITType, Int, Int) {
        switch type {
        case .primitive(let prim): return (prim, 1, 1)
        case .index(let index):
            guard case .value(let wit, let nodes, let depth) = try lookup(index, context) else {
                throw ComponentError.malformed("\(context): type index \(index) is not a value type")
            }
            return (wit, nodes, depth)
        }
    }

    /// Resolves a `defvaltype`, enforcing the structural size cap.
    func defValType(_ def: DefValType, _ context: String) throws -> ResolvedType {
        var nodes = 1
        var depth = 1
        func sub(_ type: ValType) throws -> WITType {
            let (wit, count, subDepth) = try valType(type, context)
            nodes += count
            depth = max(depth, subDepth + 1)
            guard nodes <= DecodeLimits.maxTypeNodes else {
                throw ComponentError.unsupported("\(context): a value type larger than \(DecodeLimits.maxTypeNodes) nodes")
            }
            guard depth <= DecodeLimits.maxTypeDepth else {
                throw ComponentError.unsupported("\(context): a value type nested deeper than \(DecodeLimits.maxTypeDepth) levels")
            }
            return wit
        }
        let wit: WITType
        switch def {
        case .primitive(let prim): wit = prim
        case .record(let fields): wit = .record(name: nil, fields: try fields.map { WITType.Field(name: $0.0, type: try sub($0.1)) })
        case .variant(let cases): wit = .variant(name: nil, cases: try cases.map { WITType.Case(name: $0.0, type: try $0.1.map(sub)) })
        case .list(let element): wit = .list(try sub(element))
        case .tuple(let elements): wit = .tuple(try elements.map(sub))
        case .flags(let names): wit = .flags(name: nil, names: names)
        case .enum(let names): wit = .enum(name: nil, cases: names)
        case .option(let inner): wit = .option(try sub(inner))
        case .result(let ok, let err): wit = .result(ok: try ok.map(sub), err: try err.map(sub))
        case .own(let index): wit = .own(resource: try resourceName(index, context))
        case .borrow(let index): wit = .borrow(resource: try resourceName(index, context))
        }
        try budget.charge(nodes, context)
        return .value(wit, nodes: nodes, depth: depth)
    }

    func resourceName(_ index: UInt32, _ context: String) throws -> String {
        guard case .resource(let name) = try lookup(index, context) else {
            throw ComponentError.malformed("\(context): handle type index \(index) is not a resource type")
        }
        return name
    }

    /// Resolves a `functype`.
    func funcType(_ def: FuncTypeDef, _ context: String) throws -> WITFunctionType {
        var nodes = 0
        func resolve(_ labelled: (String, ValType)) throws -> WITParameter {
            let (wit, count, _) = try valType(labelled.1, context)
            nodes += count
            guard nodes <= DecodeLimits.maxTypeNodes else {
                throw ComponentError.unsupported("\(context): a function type larger than \(DecodeLimits.maxTypeNodes) nodes")
            }
            return WITParameter(name: labelled.0, type: wit)
        }
        let type = WITFunctionType(params: try def.params.map(resolve), results: try def.results.map(resolve))
        try budget.charge(nodes + 1, context)
        return type
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
            guard case .function(let type) = try lookup(index, context) else {
                throw ComponentError.malformed("\(context): '\(name)' is declared as a func but type \(index) is not a func type")
            }
            return .function(type)
        case .value: throw ComponentError.unsupported("\(context): value imports/exports")
        case .type(.eq(let index)): return Self.named(try lookup(index, context), name)
        case .type(.subResource): return .resource(name: budget.freshResourceName(name))
        case .component(let index):
            let type = try lookup(index, context)
            guard case .component = type else { throw ComponentError.malformed("\(context): '\(name)' type \(index) is not a component type") }
            return type
        case .instance(let index):
            let type = try lookup(index, context)
            guard case .instance = type else { throw ComponentError.malformed("\(context): '\(name)' type \(index) is not an instance type") }
            return type
        }
    }

    /// Resolves a type definition in the current scope (instance and component types get their
    /// own nested scope, as the explainer requires).
    mutating func typeDef(_ def: TypeDef, _ context: String) throws -> ResolvedType {
        switch def {
        case .value(let value): return try defValType(value, context)
        case .function(let function): return .function(try funcType(function, context))
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
        for decl in decls {
            switch decl {
            case .coreType: break
            case .type(let def):
                if case .resource = def { throw ComponentError.malformed("\(context): resource definitions are not allowed inside instance or component types") }
                current.append(try typeDef(def, context))
            case .alias(let alias):
                switch (alias.sort, alias.target) {
                case (.type, .outer(let count, let index)):
                    current.append(try outer(count: count, index: index, context))
                case (_, .export(_, let name)):
                    throw ComponentError.unsupported("\(context): alias of instance export '\(name)' inside a type declaration")
                default:
                    throw ComponentError.malformed("\(context): only outer type aliases are allowed in type declarations")
                }
            case .export(let name, let desc):
                let type = try externDesc(desc, name: name, context)
                exports.append((name, type))
                if case .type = desc { current.append(type) }
            case .import(let name, let desc):
                let type = try externDesc(desc, name: name, context)
                imports.append((name, type))
                if case .type = desc { current.append(type) }
            }
        }
        return (imports, exports)
    }
}
