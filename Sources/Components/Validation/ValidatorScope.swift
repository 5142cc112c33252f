/// The index spaces and bookkeeping of one scope being validated: a component definition, or
/// the declarations of a component or instance type.
struct ValidatorScope {
    enum Kind { case component, componentType, instanceType }

    let kind: Kind

    // Component-level index spaces.
    var types: [TypeEntry] = []
    var functions: [VFuncType] = []
    var instances: [VInstanceType] = []
    var components: [VComponentType] = []
    var modules: [CoreModuleType] = []

    // Core index spaces (concrete components only, except core types).
    var coreTypes: [CoreTypeEntry] = []
    var coreInstances: [[String: CoreExternType]] = []
    var coreFunctions: [CoreFuncType] = []
    var coreTables: [CoreExternType] = []
    var coreMemories: [CoreExternType] = []
    var coreGlobals: [CoreExternType] = []
    var coreTags: [CoreExternType] = []

    // Imports and exports, with the names in each namespace.
    var imports: [(String, Entity)] = []
    var exports: [(String, Entity)] = []
    var importNames = NameSet()
    var exportNames = NameSet()

    /// Type identities that imports introduced; an import may only mention these.
    var importedTypeIDs: Set<TypeID> = []
    /// Type identities that exports introduced; an export may mention these and imported ones.
    var exportedTypeIDs: Set<TypeID> = []
    /// The plain name each imported/exported type identity has in its namespace, for the
    /// `[constructor]`/`[method]`/`[static]` rules.
    var importTypeNames: [TypeID: String] = [:]
    var exportTypeNames: [TypeID: String] = [:]

    /// Resources defined by `(type (resource …))` in this component (resource.new/rep allowed).
    var localResources: Set<ResourceID> = []
    /// Resources created in this scope (definitions, `(sub resource)` exports, fresh copies
    /// made by instantiation): fresh again for every instantiation of the enclosing type.
    var createdResources: [ResourceID] = []
    var importedResources: [(ResourceID, [String])] = []
    var importedTypePaths: [(TypeID, [String])] = []

    init(kind: Kind) { self.kind = kind }

    /// The component type this scope defines.
    var componentType: VComponentType {
        VComponentType(imports: imports, exports: exports, importedResources: importedResources,
                       importedTypeIDs: importedTypePaths, definedResources: createdResources)
    }

    /// The instance type this scope's exports define (instance type declarations).
    var instanceType: VInstanceType {
        VInstanceType(exports: exports, definedResources: createdResources)
    }

    // MARK: bounds-checked lookups

    static func check(_ index: UInt32, _ count: Int, _ what: String) throws -> Int {
        guard Int(index) < count else {
            throw ComponentError.invalid("\(what) index \(index) out of bounds (\(count) defined)")
        }
        return Int(index)
    }

    func type(_ index: UInt32) throws -> TypeEntry {
        types[try Self.check(index, types.count, "type")]
    }

    func function(_ index: UInt32) throws -> VFuncType {
        functions[try Self.check(index, functions.count, "function")]
    }

    func instance(_ index: UInt32) throws -> VInstanceType {
        instances[try Self.check(index, instances.count, "instance")]
    }

    func component(_ index: UInt32) throws -> VComponentType {
        components[try Self.check(index, components.count, "component")]
    }

    func module(_ index: UInt32) throws -> CoreModuleType {
        modules[try Self.check(index, modules.count, "module")]
    }

    func coreFunction(_ index: UInt32) throws -> CoreFuncType {
        coreFunctions[try Self.check(index, coreFunctions.count, "core function")]
    }

    func coreType(_ index: UInt32) throws -> CoreTypeEntry {
        coreTypes[try Self.check(index, coreTypes.count, "core type")]
    }

    /// A value type written as a `valtype` (a primitive or a defined value type's index).
    func valType(_ type: ValType) throws -> VType {
        switch type {
        case .primitive(let primitive): return .primitive(primitive)
        case .index(let index):
            guard case .value(let value) = try self.type(index) else {
                throw ComponentError.invalid("type index \(index) is not a defined type")
            }
            return value
        }
    }

    /// Adds an entity to the index space of its sort.
    mutating func append(_ entity: Entity) {
        switch entity {
        case .module(let module): modules.append(module)
        case .function(let function): functions.append(function)
        case .type(let entry): types.append(entry)
        case .instance(let instance): instances.append(instance)
        case .component(let component): components.append(component)
        }
    }

    /// The entity at `index` in the space of `sort` (for exports, aliases and arguments).
    func entity(_ sort: Sort, _ index: UInt32) throws -> Entity {
        switch sort {
        case .function: return .function(try function(index))
        case .type: return .type(try type(index))
        case .instance: return .instance(try instance(index))
        case .component: return .component(try component(index))
        case .core(.module): return .module(try module(index))
        case .value: throw ComponentError.unsupported("component values (🪙) are not supported")
        case .core(let sort): throw ComponentError.invalid("core \(sort) cannot be used as a component item")
        }
    }
}
