// The decoded (but not yet resolved) shape of a component binary. Indices are kept exactly as
// written; `ComponentValidator` checks them and `ComponentLinker` resolves them against the
// index spaces built in definition order.

/// A core sort (`core:sort` in Binary.md).
enum CoreSort: UInt8, Sendable {
    case function = 0x00, table = 0x01, memory = 0x02, global = 0x03, tag = 0x04
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

/// An import or export name with its optional attributes (the `0x02` name form).
struct ExternName: Sendable {
    var name: String
    /// `(implements "ns:pkg/iface")`: the interface an instance import or export implements.
    var implements: String?
    /// `(external-id "…")`: an opaque identifier for tooling; never interpreted.
    var externalID: String?

    init(_ name: String, implements: String? = nil, externalID: String? = nil) {
        self.name = name
        self.implements = implements
        self.externalID = externalID
    }
}

/// A component value type as written: a primitive or a reference to a defined type.
enum ValType: Sendable {
    case primitive(PrimitiveType)
    case index(UInt32)
}

/// The primitive value types (`primvaltype`), including the async `error-context`.
enum PrimitiveType: UInt8, Sendable {
    case bool = 0x7f, s8 = 0x7e, u8 = 0x7d, s16 = 0x7c, u16 = 0x7b, s32 = 0x7a, u32 = 0x79
    case s64 = 0x78, u64 = 0x77, f32 = 0x76, f64 = 0x75, char = 0x74, string = 0x73
    case errorContext = 0x64

    /// The WIT type of a primitive; nil for `error-context`, which has no WIT value here.
    var wit: WITType? {
        switch self {
        case .bool: return .bool
        case .s8: return .s8
        case .u8: return .u8
        case .s16: return .s16
        case .u16: return .u16
        case .s32: return .s32
        case .u32: return .u32
        case .s64: return .s64
        case .u64: return .u64
        case .f32: return .f32
        case .f64: return .f64
        case .char: return .char
        case .string: return .string
        case .errorContext: return nil
        }
    }
}

/// `defvaltype`.
enum DefValType: Sendable {
    case primitive(PrimitiveType)
    case record([(String, ValType)])
    case variant([(String, ValType?)])
    case list(ValType)
    /// `(list t n)`: a fixed-length list.
    case fixedList(ValType, UInt32)
    case map(key: ValType, value: ValType)
    case tuple([ValType])
    case flags([String])
    case `enum`([String])
    case option(ValType)
    case result(ok: ValType?, err: ValType?)
    case own(UInt32)
    case borrow(UInt32)
    case stream(ValType?)
    case future(ValType?)
}

/// `functype`: labelled params and at most one (unnamed) result.
struct FuncTypeDef: Sendable {
    var params: [(String, ValType)]
    var result: ValType?
    /// `(func async …)` (opcode 0x43).
    var isAsync = false
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
    case coreType(CoreTypeDef)
    case type(TypeDef)
    case alias(Alias)
    case export(name: ExternName, desc: ExternDesc)
    case `import`(name: ExternName, desc: ExternDesc)
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
    case inline([(ExternName, SortIndex)])
}

/// String encoding canonical option.
enum StringEncoding: Sendable {
    case utf8, utf16, latin1utf16
}

/// Canonical options as written (core indices unresolved). Duplicates are kept so that the
/// validator can name them.
struct CanonOptionsDef: Sendable {
    var encodings: [StringEncoding] = []
    var memories: [UInt32] = []
    var reallocs: [UInt32] = []
    var postReturns: [UInt32] = []
    var callbacks: [UInt32] = []
    var isAsync = false
    /// `(core-type t)` / `gc` options (GC-based lifting), which this layer does not support.
    var gcOptions = 0

    var encoding: StringEncoding { encodings.first ?? .utf8 }
    var memory: UInt32? { memories.first }
    var realloc: UInt32? { reallocs.first }
    var postReturn: UInt32? { postReturns.first }
    var callback: UInt32? { callbacks.first }
}

/// `canon` built-ins beyond lift, lower and the resource built-ins: the async, stream, future,
/// error-context, waitable and thread built-ins (Binary.md, 🔀 and 🧵).
enum CanonBuiltin: Sendable {
    case taskReturn(result: ValType?, options: CanonOptionsDef)
    case taskCancel
    case contextGet(index: UInt32)
    case contextSet(index: UInt32)
    case backpressureSet, backpressureInc, backpressureDec
    case threadYield(cancellable: Bool)
    case subtaskCancel(async: Bool)
    case subtaskDrop
    case streamNew(UInt32), streamRead(UInt32, CanonOptionsDef), streamWrite(UInt32, CanonOptionsDef)
    case streamCancelRead(UInt32, async: Bool), streamCancelWrite(UInt32, async: Bool)
    case streamDropReadable(UInt32), streamDropWritable(UInt32)
    case futureNew(UInt32), futureRead(UInt32, CanonOptionsDef), futureWrite(UInt32, CanonOptionsDef)
    case futureCancelRead(UInt32, async: Bool), futureCancelWrite(UInt32, async: Bool)
    case futureDropReadable(UInt32), futureDropWritable(UInt32)
    case errorContextNew(CanonOptionsDef), errorContextDebugMessage(CanonOptionsDef), errorContextDrop
    case waitableSetNew
    case waitableSetWait(cancellable: Bool, memory: UInt32), waitableSetPoll(cancellable: Bool, memory: UInt32)
    case waitableSetDrop, waitableJoin
    case threadIndex
    case threadNewIndirect(type: UInt32, table: UInt32)
    case threadResumeLater
    case threadSuspend(cancellable: Bool), threadSuspendThenResume(cancellable: Bool)
    case threadYieldThenResume(cancellable: Bool), threadSuspendThenPromote(cancellable: Bool)
    case threadYieldThenPromote(cancellable: Bool)
    case threadSpawnRef(type: UInt32), threadSpawnIndirect(type: UInt32, table: UInt32), threadAvailableParallelism
}

/// `canon`.
enum Canon: Sendable {
    case lift(coreFunction: UInt32, options: CanonOptionsDef, type: UInt32)
    case lower(function: UInt32, options: CanonOptionsDef)
    case resourceNew(UInt32)
    case resourceDrop(UInt32)
    case resourceRep(UInt32)
    case builtin(CanonBuiltin)
}

/// One definition, in the order it appears in the binary.
indirect enum Definition: Sendable {
    /// A core module; the payload indexes `ComponentAST.moduleBytes`.
    case coreModule(Int)
    case coreInstance(CoreInstanceExpr)
    case coreType(CoreTypeDef)
    case component(ComponentAST)
    case instance(InstanceExpr)
    case alias(Alias)
    case type(TypeDef)
    case canon(Canon)
    case `import`(name: ExternName, desc: ExternDesc)
    case export(name: ExternName, target: SortIndex, desc: ExternDesc?)
}

/// A decoded component: its definitions in order and the raw bytes of its core modules.
struct ComponentAST: Sendable {
    var definitions: [Definition] = []
    /// Raw core module binaries, indexed by `Definition.coreModule`. Each nesting level keeps
    /// its own list; `id` tells nested components apart so that their modules are parsed once.
    var moduleBytes: [ArraySlice<UInt8>] = []
    /// Unique among the components of one binary (0 is the outermost), in order of appearance.
    var id = 0
}
