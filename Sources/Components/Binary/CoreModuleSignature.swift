/// Reads a core module's type (its imports and exports with their full core types) from its
/// binary. WasmKit's public API names imports and exports but not the types of exported
/// functions, tables, memories and globals, which the component validator needs to check core
/// instantiation and `canon` options. Only the sections that define those are decoded; function
/// bodies are left to WasmKit. Every read is bounds-checked: the bytes are the guest's.
enum CoreModuleSignature {
    static func read(_ bytes: ArraySlice<UInt8>) throws -> CoreModuleType {
        var reader = BinaryReader(bytes: Array(bytes), context: "preamble")
        guard reader.remaining >= 8, Array(try reader.readBytes(4)) == ComponentParser.magic else {
            throw reader.error("expected a version header for a module")
        }
        let version = try reader.readBytes(4)
        guard Array(version) == [1, 0, 0, 0] else {
            throw reader.error("expected a version header for a module, found \(Array(version))")
        }
        var state = State()
        var lastRank = 0
        while !reader.isAtEnd {
            reader.context = "section header"
            let id = try reader.readByte()
            let size = Int(try reader.readU32())
            guard size <= reader.remaining else { throw reader.error("unexpected end-of-file in section \(id)") }
            if id != 0 {
                guard let rank = sectionRank[id] else { throw reader.error("malformed section id \(id)") }
                guard rank > lastRank else { throw reader.error("section out of order (id \(id))") }
                lastRank = rank
            }
            var section = BinaryReader(bytes: reader.bytes, offset: reader.offset, end: reader.offset + size, context: "section \(id)")
            try state.read(id: id, &section)
            if [1, 2, 3, 4, 5, 6, 7, 13].contains(id) { try section.expectEnd() }
            try reader.skip(size)
        }
        return try state.moduleType()
    }

    /// Skips a constant expression up to its `end` (0x0b). Only the opcodes valid in
    /// constant expressions are decoded; anything else is refused.
    static func skipConstExpr(_ r: inout BinaryReader) throws {
        while true {
        let op = try r.readByte()
        switch op {
        case 0x0b: return
        case 0x41, 0x23, 0xd2: _ = try r.readS33()
        case 0x42: try TypeParserSupport.skipLEB(&r)
        case 0x43: try r.skip(4)
        case 0x44: try r.skip(8)
        case 0xd0: _ = try r.readS33()
        case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: break
        case 0xfd:
            guard try r.readU32() == 12 else { throw r.error("unsupported constant vector instruction") }
            try r.skip(16)
        case 0xfb:
            let sub = try r.readU32()
            switch sub {
            case 0, 1, 6, 7: _ = try r.readU32()  // struct.new(_default), array.new(_default)
            case 8: _ = try r.readU32(); _ = try r.readU32()  // array.new_fixed
            case 26, 27, 28: break  // any.convert_extern, extern.convert_any, ref.i31
            default: throw r.error("unsupported constant GC instruction \(sub)")
            }
        default: throw r.error("invalid constant expression opcode 0x\(String(op, radix: 16))")
        }
        }
    }

    /// The binary format's section order (tags sit between memories and globals, data count
    /// before code).
    private static let sectionRank: [UInt8: Int] = [1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13]

    private struct State {
        var types: [CoreTypeDef] = []
        var imports: [(String, String, CoreImportDesc)] = []
        var functions: [UInt32] = []
        var tables: [CoreExternType] = []
        var memories: [CoreLimits] = []
        var globals: [CoreExternType] = []
        var tags: [UInt32] = []
        var exports: [(String, UInt8, UInt32)] = []

        mutating func read(id: UInt8, _ r: inout BinaryReader) throws {
            switch id {
            case 1:
                let count = try r.readCount("core type")
                for _ in 0..<count { types += try Self.typeEntry(&r) }
            case 2:
                imports = try r.readVector("core import", minItemBytes: 3) { reader in
                    (try reader.readName("import module"), try reader.readName("import name"), try CoreTypeParser.parseImportDesc(&reader))
                }
            case 3: functions = try r.readVector("function") { try $0.readU32() }
            case 4:
                tables = try r.readVector("table") { reader -> CoreExternType in
                    var hasInitializer = false
                    if try reader.peekByte() == 0x40 {
                        _ = try reader.readByte()
                        guard try reader.readByte() == 0 else { throw reader.error("invalid table initializer prefix") }
                        hasInitializer = true
                    }
                    let element = try CoreTypeParser.parseValType(&reader)
                    let limits = try CoreTypeParser.parseLimits(&reader)
                    if hasInitializer { try CoreModuleSignature.skipConstExpr(&reader) }
                    return .table(element: element, limits: limits)
                }
            case 5: memories = try r.readVector("memory") { try CoreTypeParser.parseLimits(&$0) }
            case 6:
                globals = try r.readVector("global") { reader -> CoreExternType in
                    let type = try CoreTypeParser.parseValType(&reader)
                    let mutability = try reader.readByte()
                    guard mutability <= 1 else { throw reader.error("invalid global mutability") }
                    try CoreModuleSignature.skipConstExpr(&reader)
                    return .global(type, mutable: mutability == 1)
                }
            case 7:
                exports = try r.readVector("export", minItemBytes: 3) { reader in
                    (try reader.readName("export name"), try reader.readByte(), try reader.readU32())
                }
            case 13:
                tags = try r.readVector("tag") { reader in
                    guard try reader.readByte() == 0 else { throw reader.error("invalid tag attribute") }
                    return try reader.readU32()
                }
            default:
                break
            }
        }

        /// One entry of a type section: a rec group contributes one index per member.
        static func typeEntry(_ r: inout BinaryReader) throws -> [CoreTypeDef] {
            guard try r.peekByte() == 0x4e else { return [try CoreTypeParser.parseRecOrSubType(&r)] }
            _ = try r.readByte()
            let count = try r.readCount("recursion group member")
            return try (0..<count).map { _ in try CoreTypeParser.parseRecOrSubType(&r) }
        }

        func funcType(_ index: UInt32) throws -> CoreFuncType {
            guard Int(index) < types.count else { throw ComponentError.invalid("type index out of bounds: \(index) (\(types.count) types)") }
            guard case .function(let type) = types[Int(index)] else { throw ComponentError.invalid("core type index \(index) is not a function type") }
            return type
        }

        func resolve(_ desc: CoreImportDesc) throws -> CoreExternType {
            switch desc {
            case .function(let index): return .function(try funcType(index))
            case .table(let element, let limits): return .table(element: element, limits: limits)
            case .memory(let limits): return .memory(limits)
            case .global(let type, let mutable): return .global(type, mutable: mutable)
            case .tag(let index): return .tag(try funcType(index))
            }
        }

        func moduleType() throws -> CoreModuleType {
            var result = CoreModuleType()
            result.definedMemoryCount = memories.count
            var functionTypes: [CoreFuncType] = []
            var tableTypes: [CoreExternType] = []
            var memoryTypes: [CoreExternType] = []
            var globalTypes: [CoreExternType] = []
            var tagTypes: [CoreExternType] = []
            for (module, name, desc) in imports {
                let type = try resolve(desc)
                result.imports.append((module, name, type))
                switch type {
                case .function(let function): functionTypes.append(function)
                case .table: tableTypes.append(type)
                case .memory: memoryTypes.append(type)
                case .global: globalTypes.append(type)
                case .tag: tagTypes.append(type)
                }
            }
            functionTypes += try functions.map(funcType)
            tableTypes += tables
            memoryTypes += memories.map { .memory($0) }
            globalTypes += globals
            tagTypes += try tags.map { .tag(try funcType($0)) }
            let functionExterns = functionTypes.map { CoreExternType.function($0) }
            let kinds = ["function", "table", "memory", "global", "tag"]
            for (name, kind, index) in exports {
                let space: [CoreExternType]
                switch kind {
                case 0x00: space = functionExterns
                case 0x01: space = tableTypes
                case 0x02: space = memoryTypes
                case 0x03: space = globalTypes
                case 0x04: space = tagTypes
                default: throw ComponentError.malformed("invalid export kind 0x\(String(kind, radix: 16))")
                }
                guard Int(index) < space.count else {
                    throw ComponentError.invalid("export '\(name)': \(kinds[Int(kind)]) index out of bounds: \(index)")
                }
                result.exports.append((name, space[Int(index)]))
            }
            return result
        }
    }
}

/// LEB skipping shared by the core decoders.
enum TypeParserSupport {
    static func skipLEB(_ r: inout BinaryReader) throws {
        for _ in 0..<10 where try r.readByte() & 0x80 == 0 { return }
        throw r.error("LEB128 longer than 10 bytes")
    }
}
