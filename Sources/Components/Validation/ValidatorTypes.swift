// The validator's model of component-level types (Explainer.md, "Type checking"). Value types
// are structural, except for two identities that the rules need:
//  - a `TypeID` names one definition of a nominal type (record, variant, enum, flags, resource)
//    or one import/export of any type; external visibility ("a func using this record may only
//    be exported after the record is") is decided by these identities;
//  - a `ResourceID` names one resource type; two handle types are equal only when their
//    resources are. `(sub resource)` imports and exports, and every instantiation of a
//    component that defines resources, create fresh ones (resource types are generative).

/// Identity of a nominal type definition, or of one import or export of a type.
typealias TypeID = Int
/// Identity of a resource type.
typealias ResourceID = Int

/// A component value type as the validator sees it.
indirect enum VType: Sendable {
    case primitive(PrimitiveType)
    case record(TypeID, [(String, VType)])
    case variant(TypeID, [(String, VType?)])
    case enumeration(TypeID, [String])
    case flags(TypeID, [String])
    case list(VType)
    case fixedList(VType, UInt32)
    case map(VType, VType)
    case tuple([VType])
    case option(VType)
    case result(VType?, VType?)
    case own(TypeID, ResourceID)
    case borrow(TypeID, ResourceID)
    case stream(VType?)
    case future(VType?)

    /// The identity of a nominal type at the top of this type (nil for structural types).
    var nominalID: TypeID? {
        switch self {
        case .record(let id, _), .variant(let id, _), .enumeration(let id, _), .flags(let id, _): return id
        default: return nil
        }
    }

    /// This type with another identity at its top (an import or export alias of a nominal type).
    func renamed(_ id: TypeID) -> VType {
        switch self {
        case .record(_, let fields): return .record(id, fields)
        case .variant(_, let cases): return .variant(id, cases)
        case .enumeration(_, let names): return .enumeration(id, names)
        case .flags(_, let names): return .flags(id, names)
        default: return self
        }
    }

    /// A short name of the type's kind, for messages (`record`, `u32`, …).
    var kindName: String {
        switch self {
        case .primitive(let primitive): return primitive.name
        case .record: return "record"
        case .variant: return "variant"
        case .enumeration: return "enum"
        case .flags: return "flags"
        case .list: return "list"
        case .fixedList: return "fixed-length list"
        case .map: return "map"
        case .tuple: return "tuple"
        case .option: return "option"
        case .result: return "result"
        case .own: return "own"
        case .borrow: return "borrow"
        case .stream: return "stream"
        case .future: return "future"
        }
    }
}

extension PrimitiveType {
    /// The WIT spelling (`u32`, `error-context`), as the shared WIT type model spells it.
    var name: String {
        wit?.description ?? "error-context"
    }
}

/// A component function type: named parameters and at most one result.
struct VFuncType: Sendable {
    var params: [(String, VType)]
    var result: VType?
    var isAsync = false
}

/// An entry of a component's type index space.
indirect enum TypeEntry: Sendable {
    case value(VType)
    case resource(TypeID, ResourceID)
    case function(VFuncType)
    case instance(VInstanceType)
    case component(VComponentType)

    var kindName: String {
        switch self {
        case .value: return "defined type"
        case .resource: return "resource"
        case .function: return "func type"
        case .instance: return "instance type"
        case .component: return "component type"
        }
    }

    /// The identity visibility is judged by: a resource's, or a nominal value type's.
    var typeID: TypeID? {
        switch self {
        case .resource(let id, _): return id
        case .value(let type): return type.nominalID
        default: return nil
        }
    }
}

/// The type of something imported, exported or held in an index space.
indirect enum Entity: Sendable {
    case module(CoreModuleType)
    case function(VFuncType)
    case type(TypeEntry)
    case instance(VInstanceType)
    case component(VComponentType)

    var sortName: String {
        switch self {
        case .module: return "module"
        case .function: return "func"
        case .type: return "type"
        case .instance: return "instance"
        case .component: return "component"
        }
    }
}

/// An instance type: exports in declaration order, and the abstract resources it creates
/// (`(export "r" (type (sub resource)))`, directly or in nested instance exports), which every
/// import of the type replaces by fresh ones.
struct VInstanceType: Sendable {
    var exports: [(String, Entity)] = []
    var definedResources: [ResourceID] = []

    func export(_ name: String) -> Entity? {
        exports.first { $0.0 == name }?.1
    }
}

/// A component type: what it imports and exports. `importedResources` are the abstract
/// resources its imports introduce, with the path (import name, then export names) where an
/// argument supplies each; `importedTypeIDs` are the identities of its imported types, found
/// the same way, so that instantiation substitutes the caller's. `definedResources` are the
/// resources it creates itself, fresh for every instantiation.
struct VComponentType: Sendable {
    var imports: [(String, Entity)] = []
    var exports: [(String, Entity)] = []
    var importedResources: [(ResourceID, [String])] = []
    var importedTypeIDs: [(TypeID, [String])] = []
    var definedResources: [ResourceID] = []
}

/// An entry of the core type index space.
enum CoreTypeEntry: Sendable {
    case function(CoreFuncType)
    case module(CoreModuleType)
    case other
}
