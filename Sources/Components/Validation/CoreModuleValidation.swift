@_spi(Fuzzing) import WasmKit

/// Validation of the core modules embedded in a component: their import/export signature
/// (read by `CoreModuleSignature`, with the component-level rules on top), and their code.
///
/// WasmKit validates function bodies only while instantiating with eager compilation. A module
/// the component never instantiates (in a nested component nobody instantiates, or one only
/// passed around as a value) is therefore validated through a *validation image*: the same
/// module without its start function, with every active element and data segment made passive
/// and every table and memory minimum set to zero, instantiated once with inert imports of the
/// declared types. Nothing in it runs; its code and types are checked exactly as they are.
enum CoreModuleValidation {
    /// The module's type, after the component-level checks: two-level import names must be
    /// distinct (they mangle to one name), limits must be valid.
    static func signature(_ bytes: ArraySlice<UInt8>) throws -> CoreModuleType {
        let type: CoreModuleType
        do {
            type = try CoreModuleSignature.read(bytes)
        } catch let error as ComponentError {
            if case .invalid(let why) = error { throw ComponentError.invalid("core module: \(why)") }
            throw ComponentError.malformed("core module: \(error.reason)")
        }
        var names = Set<String>()
        for (module, name, extern) in type.imports {
            guard names.insert("\(module)\u{0}\(name)").inserted else {
                throw ComponentError.invalid("core module: duplicate import name `\(module):\(name)`")
            }
            switch extern {
            case .memory(let limits): try checkLimits(limits, isMemory: true)
            case .table(_, let limits): try checkLimits(limits, isMemory: false)
            default: break
            }
        }
        return type
    }

    /// Memory limits: at most 65536 pages (2^48 for 64-bit memories), min ≤ max, and a shared
    /// memory needs a maximum. Table limits: min ≤ max.
    static func checkLimits(_ limits: CoreLimits, isMemory: Bool) throws {
        if let max = limits.max, max < limits.min {
            throw ComponentError.invalid("size minimum must not be greater than maximum")
        }
        guard isMemory else { return }
        let pages: UInt64 = limits.is64 ? 1 << 48 : 1 << 16
        guard limits.min <= pages, (limits.max ?? 0) <= pages else {
            throw ComponentError.invalid("memory size must be at most \(pages) pages (\(limits.is64 ? "256 TiB" : "4GiB"))")
        }
        if limits.shared && limits.max == nil { throw ComponentError.invalid("shared memory must have maximum size") }
    }

    /// Validates the module's code with WasmKit (see the type's documentation).
    static func validateCode(_ bytes: ArraySlice<UInt8>) throws {
        let image: [UInt8]
        do {
            // Custom sections never reach WasmKit (it reads a `name` section without bounds
            // checks); they do not affect validity.
            image = try ValidationImage.make(try CustomSectionStripper.strip(Array(bytes)))
        } catch {
            throw ComponentError.malformed("core module: \(error)")
        }
        do {
            // wasmtime validates with the proposals it enables by default (SIMD, multi-memory,
            // tail calls, threads, GC, …); a module that uses one is valid even where WasmKit's
            // default feature set would refuse to instantiate it.
            let module = try parseWasm(bytes: image, features: .all)
            let store = Store(engine: Engine(configuration: EngineConfiguration(compilationMode: .eager)))
            var imports = Imports()
            for entry in module.imports {
                switch entry.descriptor {
                case .function(let index):
                    guard let type = module.functionType(at: index) else { throw ComponentError.invalid("core module: import type \(index) is not a function type") }
                    imports.define(module: entry.module, name: entry.name, Function(store: store, type: type) { _, _ in [] })
                case .table(let type):
                    imports.define(module: entry.module, name: entry.name, try Table(store: store, type: type))
                case .memory(let type):
                    imports.define(module: entry.module, name: entry.name, try Memory(store: store, type: type))
                case .global(let type):
                    imports.define(module: entry.module, name: entry.name, try Global(store: store, type: type, value: zero(type.valueType)))
                case .tag(let index):
                    guard let type = module.functionType(at: index) else { throw ComponentError.invalid("core module: tag type \(index) is not a function type") }
                    imports.define(module: entry.module, name: entry.name, Tag(store: store, type: type))
                }
            }
            _ = try module.instantiate(store: store, imports: imports)
        } catch let error as ComponentError {
            throw error
        } catch {
            var reason = String(describing: error)
            if let newline = reason.firstIndex(of: "\n") { reason = String(reason[..<newline]) }
            throw ComponentError.invalid("core module: \(reason)")
        }
    }

    private static func zero(_ type: ValueType) -> Value {
        switch type {
        case .i32: return .i32(0)
        case .i64: return .i64(0)
        case .f32: return .f32(0)
        case .f64: return .f64(0)
        case .v128: return .v128(V128(bytes: Array(repeating: 0, count: 16)))
        case .ref(let reference):
            switch reference.heapType {
            case .abstract(.externRef): return .ref(.extern(nil))
            case .abstract(.exnRef): return .ref(.exception(nil))
            default: return .ref(.function(nil))
            }
        }
    }
}

/// Builds the validation image of a core module (see `CoreModuleValidation`).
enum ValidationImage {
    private static let importSection: UInt8 = 2, tableSection: UInt8 = 4, memorySection: UInt8 = 5
    private static let startSection: UInt8 = 8, elementSection: UInt8 = 9, dataSection: UInt8 = 11

    static func make(_ bytes: [UInt8]) throws -> [UInt8] {
        var output = Array(bytes[0..<8])
        for section in try CoreStateRewriter.split(bytes) {
            var reader = BinaryReader(bytes: bytes, offset: section.contentStart, end: section.end, context: "core module section \(section.id)")
            var content: [UInt8]
            switch section.id {
            case startSection: continue
            case importSection: content = try rewriteImports(&reader)
            case tableSection: content = try rewriteVector(&reader) { r, out in try copyTable(&r, &out) }
            case memorySection: content = try rewriteVector(&reader) { r, out in try copyLimits(&r, &out) }
            case elementSection: content = try rewriteVector(&reader) { r, out in try passiveElement(&r, &out) }
            case dataSection: content = try rewriteVector(&reader) { r, out in try passiveData(&r, &out) }
            default:
                output += bytes[section.start..<section.end]
                continue
            }
            output.append(section.id)
            CoreStateRewriter.appendU32(UInt32(content.count), to: &output)
            output += content
        }
        return output
    }

    private static func rewriteVector(_ r: inout BinaryReader, _ item: (inout BinaryReader, inout [UInt8]) throws -> Void) throws -> [UInt8] {
        let count = try r.readCount("item")
        var out: [UInt8] = []
        CoreStateRewriter.appendU32(UInt32(count), to: &out)
        for _ in 0..<count { try item(&r, &out) }
        try r.expectEnd()
        return out
    }

    /// Copies the bytes `body` reads.
    private static func copy(_ r: inout BinaryReader, _ out: inout [UInt8], _ body: (inout BinaryReader) throws -> Void) throws {
        let start = r.offset
        try body(&r)
        out += r.bytes[start..<r.offset]
    }

    /// Limits with the minimum set to zero (the maximum and flags kept).
    private static func copyLimits(_ r: inout BinaryReader, _ out: inout [UInt8]) throws {
        let flags = try r.readByte()
        let is64 = flags & 0x04 != 0
        out.append(flags)
        _ = is64 ? try r.readU64() : UInt64(try r.readU32())
        out.append(0)
        if flags & 0x01 != 0 { try copy(&r, &out) { if is64 { _ = try $0.readU64() } else { _ = try $0.readU32() } } }
        if flags & 0x08 != 0 { try copy(&r, &out) { _ = try $0.readU32() } }
    }

    private static func copyTable(_ r: inout BinaryReader, _ out: inout [UInt8]) throws {
        var initializer = false
        if try r.peekByte() == 0x40 {
            try copy(&r, &out) { _ = try $0.readByte(); _ = try $0.readByte() }
            initializer = true
        }
        try copy(&r, &out) { _ = try CoreTypeParser.parseValType(&$0) }
        try copyLimits(&r, &out)
        if initializer { try copy(&r, &out) { try CoreModuleSignature.skipConstExpr(&$0) } }
    }

    private static func rewriteImports(_ r: inout BinaryReader) throws -> [UInt8] {
        try rewriteVector(&r) { r, out in
            try copy(&r, &out) { _ = try $0.readName(); _ = try $0.readName() }
            let kind = try r.peekByte()
            switch kind {
            case 0x01:
                try copy(&r, &out) { _ = try $0.readByte(); _ = try CoreTypeParser.parseValType(&$0) }
                try copyLimits(&r, &out)
            case 0x02:
                try copy(&r, &out) { _ = try $0.readByte() }
                try copyLimits(&r, &out)
            default:
                try copy(&r, &out) { _ = try CoreTypeParser.parseImportDesc(&$0) }
            }
        }
    }

    /// An element segment as a passive one with the same kind and items.
    private static func passiveElement(_ r: inout BinaryReader, _ out: inout [UInt8]) throws {
        let flags = try r.readU32()
        func indices(_ r: inout BinaryReader) throws { let n = try r.readCount("element index"); for _ in 0..<n { _ = try r.readU32() } }
        func exprs(_ r: inout BinaryReader) throws { let n = try r.readCount("element expression"); for _ in 0..<n { try CoreModuleSignature.skipConstExpr(&r) } }
        switch flags {
        case 0:
            try CoreModuleSignature.skipConstExpr(&r)
            out += [0x01, 0x00]
            try copy(&r, &out, indices)
        case 1, 3:
            CoreStateRewriter.appendU32(flags, to: &out)
            try copy(&r, &out) { _ = try $0.readByte(); try indices(&$0) }
        case 2:
            _ = try r.readU32()
            try CoreModuleSignature.skipConstExpr(&r)
            out.append(0x01)
            try copy(&r, &out) { _ = try $0.readByte(); try indices(&$0) }
        case 4:
            try CoreModuleSignature.skipConstExpr(&r)
            out += [0x05, 0x70]
            try copy(&r, &out, exprs)
        case 5, 7:
            CoreStateRewriter.appendU32(flags, to: &out)
            try copy(&r, &out) { _ = try CoreTypeParser.parseValType(&$0); try exprs(&$0) }
        case 6:
            _ = try r.readU32()
            try CoreModuleSignature.skipConstExpr(&r)
            out.append(0x05)
            try copy(&r, &out) { _ = try CoreTypeParser.parseValType(&$0); try exprs(&$0) }
        default:
            throw r.error("invalid element segment flags \(flags)")
        }
    }

    /// A data segment as a passive one with the same bytes.
    private static func passiveData(_ r: inout BinaryReader, _ out: inout [UInt8]) throws {
        let flags = try r.readU32()
        switch flags {
        case 0: try CoreModuleSignature.skipConstExpr(&r)
        case 1: break
        case 2: _ = try r.readU32(); try CoreModuleSignature.skipConstExpr(&r)
        default: throw r.error("invalid data segment flags \(flags)")
        }
        out.append(0x01)
        try copy(&r, &out) { try $0.skip(Int(try $0.readU32())) }
    }
}
