/// Decodes `core:type` (function types, module types, and GC types structurally) and the core
/// value, limit and extern types shared with `CoreModuleSignature`.
enum CoreTypeParser {
    /// `core:type` in a core type section or a component/instance type declaration. A bare
    /// 0x50 is a module type; a non-final GC subtype is written `0x00 0x50 …` there.
    static func parseCoreType(_ r: inout BinaryReader, depth: Int) throws -> CoreTypeDef {
        let byte = try r.peekByte()
        switch byte {
        case 0x50:
            _ = try r.readByte()
            guard depth < DecodeLimits.maxNestingDepth else { throw r.error("module types nested too deep") }
            return .module(try r.readVector("module declaration", minItemBytes: 2) { try parseModuleDecl(&$0, depth: depth + 1) })
        case 0x00:
            _ = try r.readByte()
            let next = try r.readByte()
            guard next == 0x50 else { throw r.error("invalid leading byte (0x\(String(next, radix: 16))) for core type") }
            try skipSupertypes(&r)
            return try parseCompositeType(&r)
        default:
            return try parseRecOrSubType(&r)
        }
    }

    /// A type inside a core module's own type section: rec groups, subtypes or composite types.
    static func parseRecOrSubType(_ r: inout BinaryReader) throws -> CoreTypeDef {
        let byte = try r.peekByte()
        switch byte {
        case 0x4e:
            _ = try r.readByte()
            let count = try r.readCount("recursion group member")
            for _ in 0..<count { _ = try parseSubType(&r) }
            return .other
        default:
            return try parseSubType(&r)
        }
    }

    private static func parseSubType(_ r: inout BinaryReader) throws -> CoreTypeDef {
        let byte = try r.peekByte()
        if byte == 0x50 || byte == 0x4f {
            _ = try r.readByte()
            try skipSupertypes(&r)
        }
        return try parseCompositeType(&r)
    }

    private static func skipSupertypes(_ r: inout BinaryReader) throws {
        let count = try r.readCount("supertype")
        for _ in 0..<count { _ = try r.readU32() }
    }

    private static func parseCompositeType(_ r: inout BinaryReader) throws -> CoreTypeDef {
        let byte = try r.readByte()
        switch byte {
        case 0x60: return .function(try parseFuncTypeBody(&r))
        case 0x5f:
            let count = try r.readCount("struct field")
            for _ in 0..<count { try skipFieldType(&r) }
            return .other
        case 0x5e:
            try skipFieldType(&r)
            return .other
        default:
            throw r.error("invalid leading byte (0x\(String(byte, radix: 16))) for type definition")
        }
    }

    private static func skipFieldType(_ r: inout BinaryReader) throws {
        let byte = try r.peekByte()
        if byte == 0x78 || byte == 0x77 { _ = try r.readByte() } else { _ = try parseValType(&r) }
        let mutability = try r.readByte()
        guard mutability <= 1 else { throw r.error("invalid mutability 0x\(String(mutability, radix: 16))") }
    }

    /// The params and results of a function type, after its 0x60.
    static func parseFuncTypeBody(_ r: inout BinaryReader) throws -> CoreFuncType {
        let params = try r.readVector("core parameter") { try parseValType(&$0) }
        let results = try r.readVector("core result") { try parseValType(&$0) }
        return CoreFuncType(params: params, results: results)
    }

    /// A core value type, including the GC reference type shorthands.
    static func parseValType(_ r: inout BinaryReader) throws -> CoreValType {
        let byte = try r.readByte()
        switch byte {
        case 0x7f: return .i32
        case 0x7e: return .i64
        case 0x7d: return .f32
        case 0x7c: return .f64
        case 0x7b: return .v128
        case 0x69...0x74: return .ref(nullable: true, heap: Int64(byte) - 0x80)
        case 0x64, 0x63:
            let heap = try r.readS33()
            return .ref(nullable: byte == 0x63, heap: heap)
        default:
            throw r.error("invalid leading byte (0x\(String(byte, radix: 16))) for core value type")
        }
    }

    /// Memory or table limits: flags (bit 0 max, bit 1 shared, bit 2 64-bit), min, max.
    static func parseLimits(_ r: inout BinaryReader) throws -> CoreLimits {
        let flags = try r.readByte()
        guard flags & ~0x0f == 0 else { throw r.error("invalid limits flags 0x\(String(flags, radix: 16))") }
        let is64 = flags & 0x04 != 0
        func read() throws -> UInt64 { is64 ? try r.readU64() : UInt64(try r.readU32()) }
        let min = try read()
        let max = flags & 0x01 != 0 ? try read() : nil
        if flags & 0x08 != 0 { _ = try r.readU32() }  // custom page size exponent
        return CoreLimits(min: min, max: max, shared: flags & 0x02 != 0, is64: is64)
    }

    /// `core:importdesc` as written (function and tag types by index).
    static func parseImportDesc(_ r: inout BinaryReader) throws -> CoreImportDesc {
        let kind = try r.readByte()
        switch kind {
        case 0x00: return .function(typeIndex: try r.readU32())
        case 0x01:
            let element = try parseValType(&r)
            return .table(element: element, limits: try parseLimits(&r))
        case 0x02: return .memory(try parseLimits(&r))
        case 0x03:
            let type = try parseValType(&r)
            let mutability = try r.readByte()
            guard mutability <= 1 else { throw r.error("invalid global mutability 0x\(String(mutability, radix: 16))") }
            return .global(type, mutable: mutability == 1)
        case 0x04:
            let attribute = try r.readByte()
            guard attribute == 0 else { throw r.error("invalid tag attribute 0x\(String(attribute, radix: 16))") }
            return .tag(typeIndex: try r.readU32())
        default: throw r.error("invalid leading byte (0x\(String(kind, radix: 16))) for core import descriptor")
        }
    }

    private static func parseModuleDecl(_ r: inout BinaryReader, depth: Int) throws -> CoreModuleDecl {
        let kind = try r.readByte()
        switch kind {
        case 0x00:
            let module = try r.readName("import module")
            let name = try r.readName("import name")
            return .import(module: module, name: name, desc: try parseImportDesc(&r))
        case 0x01:
            let inner = try r.peekByte()
            guard inner != 0x50 else { throw r.error("invalid leading byte (0x50): module types may not nest") }
            return .type(try parseRecOrSubType(&r))
        case 0x02:
            let sort = try r.readByte()
            guard sort == 0x10 else { throw r.error("invalid leading byte (0x\(String(sort, radix: 16))) for outer alias kind") }
            let target = try r.readByte()
            guard target == 0x01 else { throw r.error("invalid leading byte (0x\(String(target, radix: 16))) for outer alias target") }
            return .outerType(count: try r.readU32(), index: try r.readU32())
        case 0x03:
            let name = try r.readName("export name")
            return .export(name: name, desc: try parseImportDesc(&r))
        default:
            throw r.error("invalid leading byte (0x\(String(kind, radix: 16))) for type definition")
        }
    }
}
