/// Decodes the type productions of Binary.md: `deftype`, `valtype`, `externdesc` and the
/// declarations of component and instance types. Core types are in `CoreTypeParser`.
enum TypeParser {
    /// `valtype`: a type index (non-negative s33) or a primitive opcode.
    static func parseValType(_ r: inout BinaryReader) throws -> ValType {
        let byte = try r.peekByte()
        if let primitive = PrimitiveType(rawValue: byte) {
            _ = try r.readByte()
            return .primitive(primitive)
        }
        let value = try r.readS33()
        guard value >= 0, value <= Int64(UInt32.max) else {
            throw r.error("invalid leading byte (0x\(String(byte, radix: 16))) for value type")
        }
        return .index(UInt32(value))
    }

    /// `<T>?`: 0x00 absent, 0x01 present.
    static func parseOptional<T>(_ r: inout BinaryReader, _ what: String, _ element: (inout BinaryReader) throws -> T) throws -> T? {
        let flag = try r.readByte()
        switch flag {
        case 0x00: return nil
        case 0x01: return try element(&r)
        default: throw r.error("invalid leading byte (0x\(String(flag, radix: 16))) for optional \(what)")
        }
    }

    static func parseOptionalValType(_ r: inout BinaryReader) throws -> ValType? {
        try parseOptional(&r, "value type") { try parseValType(&$0) }
    }

    /// A label as written; kebab-case and uniqueness are checked by the validator.
    static func parseLabelled(_ r: inout BinaryReader, _ what: String) throws -> [(String, ValType)] {
        try r.readVector(what, minItemBytes: 2) { reader in
            (try reader.readName("label"), try parseValType(&reader))
        }
    }

    /// `deftype`.
    static func parseTypeDef(_ r: inout BinaryReader, depth: Int) throws -> TypeDef {
        let byte = try r.peekByte()
        switch byte {
        case 0x40, 0x43:
            _ = try r.readByte()
            let params = try parseLabelled(&r, "parameter")
            let kind = try r.readByte()
            var result: ValType?
            switch kind {
            case 0x00: result = try parseValType(&r)
            case 0x01:
                let count = try r.readByte()
                guard count == 0 else { throw r.error("invalid leading byte (0x\(String(count, radix: 16))) for number of results") }
            default: throw r.error("invalid leading byte (0x\(String(kind, radix: 16))) for component function results")
            }
            return .function(FuncTypeDef(params: params, result: result, isAsync: byte == 0x43))
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
            let rep = try r.readByte()
            guard rep == 0x7f else { throw r.error("invalid leading byte (0x\(String(rep, radix: 16))) for resource representation (must be i32)") }
            return .resource(destructor: try parseOptional(&r, "destructor") { try $0.readU32() })
        default:
            return .value(try parseDefValType(&r))
        }
    }

    /// `defvaltype`.
    static func parseDefValType(_ r: inout BinaryReader) throws -> DefValType {
        let byte = try r.readByte()
        if let primitive = PrimitiveType(rawValue: byte) { return .primitive(primitive) }
        switch byte {
        case 0x72: return .record(try parseLabelled(&r, "record field"))
        case 0x71:
            return .variant(try r.readVector("variant case", minItemBytes: 3) { reader -> (String, ValType?) in
                let label = try reader.readName("label")
                let payload = try parseOptionalValType(&reader)
                let zero = try reader.readByte()
                guard zero == 0x00 else { throw reader.error("invalid leading byte (0x\(String(zero, radix: 16))) for zero byte required") }
                return (label, payload)
            })
        case 0x70: return .list(try parseValType(&r))
        case 0x67: return .fixedList(try parseValType(&r), try r.readU32())
        case 0x63: return .map(key: try parseValType(&r), value: try parseValType(&r))
        case 0x6f: return .tuple(try r.readVector("tuple element") { try parseValType(&$0) })
        case 0x6e: return .flags(try r.readVector("flag") { try $0.readName("label") })
        case 0x6d: return .enum(try r.readVector("enum case") { try $0.readName("label") })
        case 0x6b: return .option(try parseValType(&r))
        case 0x6a: return .result(ok: try parseOptionalValType(&r), err: try parseOptionalValType(&r))
        case 0x69: return .own(try r.readU32())
        case 0x68: return .borrow(try r.readU32())
        case 0x66: return .stream(try parseOptionalValType(&r))
        case 0x65: return .future(try parseOptionalValType(&r))
        default:
            throw r.error("invalid leading byte (0x\(String(byte, radix: 16))) for component defined type")
        }
    }

    /// `componentdecl` / `instancedecl`.
    static func parseDecl(_ r: inout BinaryReader, allowImport: Bool, depth: Int) throws -> TypeDecl {
        let kind = try r.readByte()
        switch kind {
        case 0x00: return .coreType(try CoreTypeParser.parseCoreType(&r, depth: depth))
        case 0x01: return .type(try parseTypeDef(&r, depth: depth))
        case 0x02: return .alias(try ComponentParser.parseAlias(&r))
        case 0x03 where allowImport:
            let name = try ComponentParser.parseExternName(&r)
            return .import(name: name, desc: try parseExternDesc(&r))
        case 0x04:
            let name = try ComponentParser.parseExternName(&r)
            return .export(name: name, desc: try parseExternDesc(&r))
        default:
            throw r.error("invalid leading byte (0x\(String(kind, radix: 16))) for component or instance type declaration")
        }
    }

    /// `externdesc`.
    static func parseExternDesc(_ r: inout BinaryReader) throws -> ExternDesc {
        let kind = try r.readByte()
        switch kind {
        case 0x00:
            let sort = try r.readByte()
            guard sort == 0x11 else { throw r.error("invalid leading byte (0x\(String(sort, radix: 16))) for component external kind") }
            return .module(try r.readU32())
        case 0x01: return .function(try r.readU32())
        case 0x02:
            // Value imports and exports (🪙) are decoded so that the error names them.
            let bound = try r.readByte()
            switch bound {
            case 0x00: _ = try r.readU32()
            case 0x01: _ = try parseValType(&r)
            default: throw r.error("invalid leading byte (0x\(String(bound, radix: 16))) for value bound")
            }
            return .value
        case 0x03:
            let bound = try r.readByte()
            switch bound {
            case 0x00: return .type(.eq(try r.readU32()))
            case 0x01: return .type(.subResource)
            default: throw r.error("invalid leading byte (0x\(String(bound, radix: 16))) for type bound")
            }
        case 0x04: return .component(try r.readU32())
        case 0x05: return .instance(try r.readU32())
        default: throw r.error("invalid leading byte (0x\(String(kind, radix: 16))) for component external kind")
        }
    }
}
