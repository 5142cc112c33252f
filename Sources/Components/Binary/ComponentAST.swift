// The decoded (but not yet resolved) shape of a component binary. Indices are kept exactly as
// written; `ComponentLinker` resolves them against the index spaces built in definition order.

/// A core sort (`core:sort` in Binary.md).
enum CoreSort: UInt8, Sendable {
    case function = 0x00, table = 0x01, memory = 0x02, global = 0x03
    case type = 0x10, module = 0x11, instance = 0x12
}

/// A component-level sort.
enum Sort: Equatable, Sendable {
    case core(CoreSort)
    case function, value, type, component, instance
}

/// A reference into one index space of the given sort.
struct SortIndex: Sendable {
    var sort: Sort
    var index: UInt32
}

/// A core sort reference (`core:sortidx`).
struct CoreSortIndex: Sendable {
    var sort: CoreSort
    var index: UInt32
}

/// A component value type as written: a primitive or a reference to a defined type.
enum ValType: Sendable {
    case primitive(WITType)
    case index(UInt32)
}

/// `defvaltype`.
enum DefValType: Sendable {
    case primitive(WITType)
    case record([(String, ValType)])
    case variant([(String, ValType?)])
    case list(ValType)
    case tuple([ValType])
    case flags([String])
    case `enum`([String])
    case option(ValType)
    case result(ok: ValType?, err: ValType?)
    case own(UInt32)
    case borrow(UInt32)
}

/// `functype`: labelled params and results (one unnamed result is kept with an empty label).
struct FuncTypeDef: Sendable {
    var params: [(String, ValType)]
    var results: [(String, ValType)]
}

/// `typebound`.
enum TypeBound: Sendable {
    case eq(UInt32)
    case subResource
}

/// `externdesc`.
enum ExternDesc: Sendable {
    case module(UInt32)
    case function(UInt32)
    case value
    case type(TypeBound)
    case component(UInt32)
    case instance(UInt32)
}

/// A declaration inside an instance or component type.
enum TypeDecl: Sendable {
    case coreType
    case type(TypeDef)
    case alias(Alias)
    case export(name: String, desc: ExternDesc)
    case `import`(name: String, desc: ExternDesc)
}

/// `deftype`.
indirect enum TypeDef: Sendable {
    case value(DefValType)
    case function(FuncTypeDef)
    case component([TypeDecl])
    case instance([TypeDecl])
    case resource(destructor: UInt32?)
}

/// `alias`.
struct Alias: Sendable {
    enum Target: Sendable {
        case export(instance: UInt32, name: String)
        case coreExport(instance: UInt32, name: String)
        case outer(count: UInt32, index: UInt32)
    }
    var sort: Sort
    var target: Target
}

/// `core:instanceexpr`.
enum CoreInstanceExpr: Sendable {
    case instantiate(module: UInt32, args: [(String, UInt32)])
    case inline([(String, CoreSortIndex)])
}

/// `instanceexpr`.
enum InstanceExpr: Sendable {
    case instantiate(component: UInt32, args: [(String, SortIndex)])
    case inline([(String, SortIndex)])
}

/// String encoding canonical option.
enum StringEncoding: Sendable {
    case utf8, utf16, latin1utf16
}

/// Canonical options as written (core indices unresolved).
struct CanonOptionsDef: Sendable {
    var encoding: StringEncoding = .utf8
    var memory: UInt32?
    var realloc: UInt32?
    var postReturn: UInt32?
}

/// `canon`.
enum Canon: Sendable {
    case lift(coreFunction: UInt32, options: CanonOptionsDef, type: UInt32)
    case lower(function: UInt32, options: CanonOptionsDef)
    case resourceNew(UInt32)
    case resourceDrop(UInt32)
    case resourceRep(UInt32)
}

/// One definition, in the order it appears in the binary.
indirect enum Definition: Sendable {
    /// A core module; the payload indexes `ComponentAST.moduleBytes`.
    case coreModule(Int)
    case coreInstance(CoreInstanceExpr)
    case coreType
    case component(ComponentAST)
    case instance(InstanceExpr)
    case alias(Alias)
    case type(TypeDef)
    case canon(Canon)
    case `import`(name: String, desc: ExternDesc)
    case export(name: String, target: SortIndex, desc: ExternDesc?)
}

/// A decoded component: its definitions in order and the raw bytes of its core modules.
struct ComponentAST: Sendable {
    var definitions: [Definition] = []
    /// Raw core module binaries, indexed by `Definition.coreModule`. Shared by all nesting
    /// levels so that one list of parsed modules serves the whole component.
    var moduleBytes: [ArraySlice<UInt8>] = []
}
