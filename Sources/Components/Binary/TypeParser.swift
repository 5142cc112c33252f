/// Decodes the type productions of Binary.md: `deftype`, `valtype`, `externdesc`, and (skipped
/// structurally) `core:type`.
enum TypeParser {
    /// Maps a primitive value type opcode to its WIT type.
    static func primitive(_ byte: UInt8) -> WITType? {
        switch byte {
        case 0x7f: return .bool
        case 0x7e: return .s8
        case 0x7d: return .u8
        case 0x7c: return .s16
        case 0x7b: return .u16
        case 0x7a: return .s32
        case 0x79: return .u32
        case 0x78: return .s64
        case 0x77: return .u64
        case 0x76: return .f32
        case 0x75: return .f64
        case 0x74: return .char
        case 0x73: return .string
        default: return nil
        }
    }

    /// `valtype`: a type index (non-negative s33) or a primitive opcode.
    static func parseValType(_ r: inout BinaryReader) throws -> ValType {
        let byte = try r.peekByte()
        if let prim = primitive(byte) {
            _ = try r.readByte()
            return .primitive(prim)
        }
        let value = try r.readS33()
        guard value >= 0, value <= Int64(UInt32.max) else {
            throw r.error("invalid value type 0x\(String(byte, radix: 16))")
        }
        return .index(UInt32(value))
    }

    static func parseOptionalValType(_ r: inout BinaryReader) throws -> ValType? {
        let flag = try r.readByte()
        switch flag {
        case 0x00: return nil
        case 0x01: return try parseValType(&r)
        default: throw r.error("invalid optional value type flag 0x\(String(flag, radix: 16))")
        }
    }

    static func parseLabel(_ r: inout BinaryReader) throws -> String {
        let label = try r.readName("label")
        guard !label.isEmpty else { throw r.error("empty label") }
        return label
    }

    /// Rejects duplicate labels (case-insensitively, as Binary.md requires).
    static func checkUnique(_ labels: [String], _ what: String, _ r: BinaryReader) throws {
        var seen = Set<String>()
        for label in labels where !seen.insert(label.lowercased()).inserted {
            throw r.error("duplicate \(what) '\(label)'")
        }
    }

    static func parseLabelled(_ r: inout BinaryReader, _ what: String) throws -> [(String, ValType)] {
        let items = try r.readVector(what, minItemBytes: 2) { reader in
            (try parseLabel(&reader), try parseValType(&reader))
        }
        try checkUnique(items.map(\.0), what, r)
        return items
    }

    /// `deftype`.
    static func parseTypeDef(_ r: inout BinaryReader, depth: Int) throws -> TypeDef {
        let byte = try r.peekByte()
        switch byte {
        case 0x40:
            _ = try r.readByte()
            let params = try parseLabelled(&r, "parameter")
            let kind = try r.readByte()
            switch kind {
            case 0x00: return .function(FuncTypeDef(params: params, results: [("", try parseValType(&r))]))
            case 0x01: return .function(FuncTypeDef(params: params, results: try parseLabelled(&r, "result")))
            default: throw r.error("invalid result list kind 0x\(String(kind, radix: 16))")
            }
        case 0x41, 0x42:
            _ = try r.readByte()
            guard depth < DecodeLimits.maxNestingDepth else {
                throw r.error("instance/component types nested deeper than \(DecodeLimits.maxNestingDepth)")
            }
            let isComponent = byte == 0x41
            let decls = try r.readVector("declaration", minItemBytes: 2) { reader in
                try parseDecl(&reader, allowImport: isComponent, depth: depth + 1)
            }
            return isComponent ? .component(decls) : .instance(decls)
        case 0x3f:
            _ = try r.readByte()
            guard try r.readByte() == 0x7f else { throw r.error("resource representation must be i32") }
            let flag = try r.readByte()
            switch flag {
            case 0x00: return .resource(destructor: nil)
            case 0x01: return .resource(destructor: try r.readU32())
            default: throw r.error("invalid resource destructor flag")
            }
        case 0x43:
            throw ComponentError.unsupported("type section: async function types are not supported")
        default:
            return .value(try parseDefValType(&r))
        }
    }

    /// `defvaltype`.
    static func parseDefValType(_ r: inout BinaryReader) throws -> DefValType {
        let byte = try r.readByte()
        if let prim = primitive(byte) { return .primitive(prim) }
        switch byte {
        case 0x72:
            let fields = try parseLabelled(&r, "record field")
            guard !fields.isEmpty else { throw r.error("record with no fields") }
            return .record(fields)
        case 0x71:
            let cases = try r.readVector("variant case", minItemBytes: 3) { reader -> (String, ValType?) in
                let label = try parseLabel(&reader)
                let payload = try parseOptionalValType(&reader)
                guard try reader.readByte() == 0x00 else { throw reader.error("variant case refinements are not supported") }
                return (label, payload)
            }
            guard !cases.isEmpty else { throw r.error("variant with no cases") }
            try checkUnique(cases.map(\.0), "variant case", r)
            return .variant(cases)
        case 0x70: return .list(try parseValType(&r))
        case 0x67: throw ComponentError.unsupported("type section: fixed-size lists are not supported")
        case 0x6f:
            let items = try r.readVector("tuple element") { try parseValType(&$0) }
            guard !items.isEmpty else { throw r.error("tuple with no elements") }
            return .tuple(items)
        case 0x6e, 0x6d:
            let labels = try r.readVector(byte == 0x6e ? "flag" : "enum case") { try parseLabel(&$0) }
            guard !labels.isEmpty else { throw r.error("\(byte == 0x6e ? "flags" : "enum") with no labels") }
            try checkUnique(labels, byte == 0x6e ? "flag" : "enum case", r)
            if byte == 0x6e {
                guard labels.count <= 32 else { throw r.error("flags with \(labels.count) labels; at most 32 are allowed") }
                return .flags(labels)
            }
            return .enum(labels)
        case 0x6b: return .option(try parseValType(&r))
        case 0x6a:
            let ok = try parseOptionalValType(&r)
            let err = try parseOptionalValType(&r)
            return .result(ok: ok, err: err)
        case 0x69: return .own(try r.readU32())
        case 0x68: return .borrow(try r.readU32())
        default:
            throw r.error("invalid type opcode 0x\(String(byte, radix: 16))")
        }
    }

    /// `componentdecl` / `instancedecl`.
    static func parseDecl(_ r: inout BinaryReader, allowImport: Bool, depth: Int) throws -> TypeDecl {
        let kind = try r.readByte()
        switch kind {
        case 0x00:
            try skipCoreType(&r, depth: depth)
            return .coreType
        case 0x01: return .type(try parseTypeDef(&r, depth: depth))
        case 0x02: return .alias(try ComponentParser.parseAlias(&r))
        case 0x03 where allowImport:
            let name = try ComponentParser.parseExternName(&r)
            return .import(name: name, desc: try parseExternDesc(&r))
        case 0x04:
            let name = try ComponentParser.parseExternName(&r)
            return .export(name: name, desc: try parseExternDesc(&r))
        default:
            throw r.error("invalid declaration kind 0x\(String(kind, radix: 16))")
        }
    }

    /// `externdesc`.
    static func parseExternDesc(_ r: inout BinaryReader) throws -> ExternDesc {
        let kind = try r.readByte()
        switch kind {
        case 0x00:
            guard try r.readByte() == 0x11 else { throw r.error("core extern descriptor must be a module") }
            return .module(try r.readU32())
        case 0x01: return .function(try r.readU32())
        case 0x02: throw ComponentError.unsupported("value imports/exports are not supported")
        case 0x03:
            let bound = try r.readByte()
            switch bound {
            case 0x00: return .type(.eq(try r.readU32()))
            case 0x01: return .type(.subResource)
            default: throw r.error("invalid type bound 0x\(String(bound, radix: 16))")
            }
        case 0x04: return .component(try r.readU32())
        case 0x05: return .instance(try r.readU32())
        default: throw r.error("invalid extern descriptor 0x\(String(kind, radix: 16))")
        }
    }

    // MARK: core types (decoded only far enough to skip them correctly)

    static func skipLEB(_ r: inout BinaryReader) throws {
        for _ in 0..<10 where try r.readByte() & 0x80 == 0 { return }
        throw r.error("LEB128 longer than 10 bytes")
    }

    static func skipCoreValType(_ r: inout BinaryReader) throws {
        let byte = try r.readByte()
        switch byte {
        case 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f: return
        default: throw r.error("unsupported core value type 0x\(String(byte, radix: 16))")
        }
    }

    static func skipLimits(_ r: inout BinaryReader) throws {
        let flags = try r.readByte()
        guard flags <= 0x07 else { throw r.error("invalid limits flags 0x\(String(flags, radix: 16))") }
        try skipLEB(&r)
        if flags & 0x01 != 0 { try skipLEB(&r) }
    }

    static func skipImportDesc(_ r: inout BinaryReader) throws {
        let kind = try r.readByte()
        switch kind {
        case 0x00: _ = try r.readU32()
        case 0x01: try skipCoreValType(&r); try skipLimits(&r)
        case 0x02: try skipLimits(&r)
        case 0x03:
            try skipCoreValType(&r)
            guard try r.readByte() <= 1 else { throw r.error("invalid global mutability") }
        case 0x04:
            guard try r.readByte() == 0 else { throw r.error("invalid tag attribute") }
            _ = try r.readU32()
        default: throw r.error("invalid core import descriptor 0x\(String(kind, radix: 16))")
        }
    }

    /// `core:type`: a function type or a module type.
    static func skipCoreType(_ r: inout BinaryReader, depth: Int) throws {
        let kind = try r.readByte()
        switch kind {
        case 0x60:
            let params = try r.readCount("core parameter")
            for _ in 0..<params { try skipCoreValType(&r) }
            let results = try r.readCount("core result")
            for _ in 0..<results { try skipCoreValType(&r) }
        case 0x50:
            guard depth < DecodeLimits.maxNestingDepth else { throw r.error("module types nested too deep") }
            let count = try r.readCount("module declaration", minItemBytes: 2)
            for _ in 0..<count {
                let decl = try r.readByte()
                switch decl {
                case 0x00:
                    _ = try r.readName("import module")
                    _ = try r.readName("import name")
                    try skipImportDesc(&r)
                case 0x01:
                    let inner = try r.peekByte()
                    guard inner != 0x50 else { throw r.error("module types may not nest") }
                    try skipCoreType(&r, depth: depth + 1)
                case 0x02:
                    _ = try ComponentParser.parseCoreSort(&r)
                    guard try r.readByte() == 0x01 else { throw r.error("core alias must be an outer alias") }
                    _ = try r.readU32()
                    _ = try r.readU32()
                case 0x03:
                    _ = try r.readName("export name")
                    try skipImportDesc(&r)
                default: throw r.error("invalid module declaration 0x\(String(decl, radix: 16))")
                }
            }
        default:
            throw r.error("unsupported core type 0x\(String(kind, radix: 16))")
        }
    }
}
