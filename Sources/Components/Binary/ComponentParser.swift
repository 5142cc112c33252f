/// Decodes a component binary into a `ComponentAST` (Binary.md, version 0x0d, layer 1).
/// Structure only: index validity is checked by `ComponentLinker`.
enum ComponentParser {
    static let magic: [UInt8] = [0x00, 0x61, 0x73, 0x6d]

    /// Decodes a whole component binary, starting with its preamble.
    static func parse(_ bytes: [UInt8]) throws -> ComponentAST {
        var reader = BinaryReader(bytes: bytes, context: "preamble")
        try checkPreamble(&reader)
        return try parseSections(&reader, depth: 0)
    }

    /// The first bytes of an ELF file: what `wasmtime compile` writes (`.cwasm`).
    static let elfMagic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]

    /// Checks magic, version and layer; a core module gets a clear `notAComponent`.
    static func checkPreamble(_ reader: inout BinaryReader) throws {
        if reader.remaining >= 4, Array(reader.bytes.prefix(4)) == elfMagic {
            throw ComponentError.notAComponent(
                "this is an ELF file (native code, e.g. a `.cwasm` from `wasmtime compile`), which EnclaveOS cannot run; "
                + "upload the WebAssembly component (`.wasm`) it was compiled from")
        }
        guard reader.remaining >= 8 else {
            if reader.remaining >= 4, Array(try reader.readBytes(4)) != magic {
                throw ComponentError.notAComponent("missing the \\0asm magic number")
            }
            throw ComponentError.notAComponent("the file is shorter than the 8-byte WebAssembly preamble")
        }
        guard Array(try reader.readBytes(4)) == magic else {
            throw ComponentError.notAComponent("missing the \\0asm magic number")
        }
        let version = UInt16(try reader.readByte()) | UInt16(try reader.readByte()) << 8
        let layer = UInt16(try reader.readByte()) | UInt16(try reader.readByte()) << 8
        if layer == 0 {
            throw ComponentError.notAComponent(
                "this is a core WebAssembly module (layer 0, version \(version)), not a component; upload a component: "
                + "build one with cargo-component, componentize-py or jco, or wrap a WASI preview 1 module with "
                + "`wasm-tools component new module.wasm --adapt wasi_snapshot_preview1.reactor.wasm`")
        }
        guard layer == 1 else {
            throw ComponentError.notAComponent("unknown layer \(layer) in the preamble")
        }
        guard version == 0x0d else {
            throw ComponentError.unsupported("component binary version 0x\(String(version, radix: 16)); only version 0x0d is supported")
        }
    }

    /// Decodes sections until the reader's end.
    static func parseSections(_ reader: inout BinaryReader, depth: Int) throws -> ComponentAST {
        guard depth <= DecodeLimits.maxNestingDepth else {
            throw reader.error("components nested deeper than \(DecodeLimits.maxNestingDepth)")
        }
        var ast = ComponentAST()
        while !reader.isAtEnd {
            reader.context = "section header"
            let id = try reader.readByte()
            let size = Int(try reader.readU32())
            guard size <= reader.remaining else {
                throw reader.error("section \(id) declares \(size) bytes but only \(reader.remaining) are left")
            }
            let start = reader.offset
            var section = BinaryReader(bytes: reader.bytes, offset: start, end: start + size, context: sectionName(id))
            try parseSection(id: id, &section, into: &ast, depth: depth)
            try section.expectEnd()
            try reader.skip(size)
            guard ast.definitions.count <= DecodeLimits.maxDefinitions else {
                throw reader.error("more than \(DecodeLimits.maxDefinitions) definitions")
            }
        }
        return ast
    }

    static func sectionName(_ id: UInt8) -> String {
        switch id {
        case 0: return "custom section"
        case 1: return "core module section"
        case 2: return "core instance section"
        case 3: return "core type section"
        case 4: return "component section"
        case 5: return "instance section"
        case 6: return "alias section"
        case 7: return "type section"
        case 8: return "canon section"
        case 9: return "start section"
        case 10: return "import section"
        case 11: return "export section"
        case 12: return "value section"
        default: return "section \(id)"
        }
    }

    private static func parseSection(id: UInt8, _ r: inout BinaryReader, into ast: inout ComponentAST, depth: Int) throws {
        switch id {
        case 0:
            _ = try r.readName("custom section name")
            try r.skip(r.remaining)
        case 1:
            // The module is validated by WasmKit at link time; here we only need its bytes.
            guard r.remaining >= 8 else { throw r.error("core module shorter than its preamble") }
            ast.moduleBytes.append(try r.readBytes(r.remaining))
            ast.definitions.append(.coreModule(ast.moduleBytes.count - 1))
        case 2:
            let items = try r.readVector("core instance", minItemBytes: 2) { try parseCoreInstance(&$0) }
            ast.definitions += items.map { .coreInstance($0) }
        case 3:
            let count = try r.readCount("core type", minItemBytes: 1)
            for _ in 0..<count {
                try TypeParser.skipCoreType(&r, depth: depth)
                ast.definitions.append(.coreType)
            }
        case 4:
            var inner = BinaryReader(bytes: r.bytes, offset: r.offset, end: r.end, context: "nested component")
            try checkPreamble(&inner)
            let nested = try parseSections(&inner, depth: depth + 1)
            try r.skip(r.remaining)
            ast.definitions.append(.component(nested))
        case 5:
            let items = try r.readVector("instance", minItemBytes: 2) { try parseInstance(&$0) }
            ast.definitions += items.map { .instance($0) }
        case 6:
            let items = try r.readVector("alias", minItemBytes: 3) { try parseAlias(&$0) }
            ast.definitions += items.map { .alias($0) }
        case 7:
            let items = try r.readVector("type", minItemBytes: 1) { try TypeParser.parseTypeDef(&$0, depth: depth) }
            ast.definitions += items.map { .type($0) }
        case 8:
            let items = try r.readVector("canon", minItemBytes: 2) { try parseCanon(&$0) }
            ast.definitions += items.map { .canon($0) }
        case 9:
            throw ComponentError.unsupported("start section: component start functions (value imports) are not supported")
        case 10:
            let items = try r.readVector("import", minItemBytes: 3) { reader -> Definition in
                let name = try parseExternName(&reader)
                return .import(name: name, desc: try TypeParser.parseExternDesc(&reader))
            }
            ast.definitions += items
        case 11:
            let items = try r.readVector("export", minItemBytes: 4) { reader -> Definition in
                let name = try parseExternName(&reader)
                let target = try parseSortIndex(&reader)
                let hasDesc = try reader.readByte()
                var desc: ExternDesc?
                switch hasDesc {
                case 0: desc = nil
                case 1: desc = try TypeParser.parseExternDesc(&reader)
                default: throw reader.error("invalid optional externdesc flag 0x\(String(hasDesc, radix: 16))")
                }
                return .export(name: name, target: target, desc: desc)
            }
            ast.definitions += items
        case 12:
            throw ComponentError.unsupported("value section: component values are not supported")
        default:
            throw r.error("unknown section id \(id)")
        }
    }

    /// `importname'` / `exportname'`: 0x00 name, or 0x01 name + version suffix (older encodings).
    static func parseExternName(_ r: inout BinaryReader) throws -> String {
        let kind = try r.readByte()
        switch kind {
        case 0x00: return try r.readName("extern name")
        case 0x01:
            let name = try r.readName("extern name")
            _ = try r.readName("version suffix")
            return name
        default: throw r.error("invalid extern name prefix 0x\(String(kind, radix: 16))")
        }
    }

    static func parseCoreSort(_ r: inout BinaryReader) throws -> CoreSort {
        let byte = try r.readByte()
        guard let sort = CoreSort(rawValue: byte) else {
            throw r.error("invalid core sort 0x\(String(byte, radix: 16))")
        }
        return sort
    }

    static func parseSort(_ r: inout BinaryReader) throws -> Sort {
        let byte = try r.readByte()
        switch byte {
        case 0x00: return .core(try parseCoreSort(&r))
        case 0x01: return .function
        case 0x02: return .value
        case 0x03: return .type
        case 0x04: return .component
        case 0x05: return .instance
        default: throw r.error("invalid sort 0x\(String(byte, radix: 16))")
        }
    }

    static func parseSortIndex(_ r: inout BinaryReader) throws -> SortIndex {
        SortIndex(sort: try parseSort(&r), index: try r.readU32())
    }

    private static func parseCoreInstance(_ r: inout BinaryReader) throws -> CoreInstanceExpr {
        let kind = try r.readByte()
        switch kind {
        case 0x00:
            let module = try r.readU32()
            let args = try r.readVector("instantiate argument", minItemBytes: 3) { reader -> (String, UInt32) in
                let name = try reader.readName("instantiate argument name")
                let sort = try reader.readByte()
                guard sort == 0x12 else { throw reader.error("core instantiate argument must be an instance (sort 0x12), got 0x\(String(sort, radix: 16))") }
                return (name, try reader.readU32())
            }
            return .instantiate(module: module, args: args)
        case 0x01:
            let exports = try r.readVector("inline export", minItemBytes: 3) { reader -> (String, CoreSortIndex) in
                let name = try reader.readName("inline export name")
                return (name, CoreSortIndex(sort: try parseCoreSort(&reader), index: try reader.readU32()))
            }
            return .inline(exports)
        default:
            throw r.error("invalid core instance kind 0x\(String(kind, radix: 16))")
        }
    }

    private static func parseInstance(_ r: inout BinaryReader) throws -> InstanceExpr {
        let kind = try r.readByte()
        switch kind {
        case 0x00:
            let component = try r.readU32()
            let args = try r.readVector("instantiate argument", minItemBytes: 3) { reader -> (String, SortIndex) in
                (try reader.readName("instantiate argument name"), try parseSortIndex(&reader))
            }
            return .instantiate(component: component, args: args)
        case 0x01:
            let exports = try r.readVector("inline export", minItemBytes: 3) { reader -> (String, SortIndex) in
                (try parseExternName(&reader), try parseSortIndex(&reader))
            }
            return .inline(exports)
        default:
            throw r.error("invalid instance kind 0x\(String(kind, radix: 16))")
        }
    }

    static func parseAlias(_ r: inout BinaryReader) throws -> Alias {
        let sort = try parseSort(&r)
        let kind = try r.readByte()
        switch kind {
        case 0x00: return Alias(sort: sort, target: .export(instance: try r.readU32(), name: try r.readName("alias name")))
        case 0x01: return Alias(sort: sort, target: .coreExport(instance: try r.readU32(), name: try r.readName("alias name")))
        case 0x02: return Alias(sort: sort, target: .outer(count: try r.readU32(), index: try r.readU32()))
        default: throw r.error("invalid alias target kind 0x\(String(kind, radix: 16))")
        }
    }

    private static func parseCanon(_ r: inout BinaryReader) throws -> Canon {
        let kind = try r.readByte()
        switch kind {
        case 0x00:
            guard try r.readByte() == 0x00 else { throw r.error("canon lift must name a core func") }
            let function = try r.readU32()
            let options = try parseCanonOptions(&r)
            return .lift(coreFunction: function, options: options, type: try r.readU32())
        case 0x01:
            guard try r.readByte() == 0x00 else { throw r.error("canon lower must name a func") }
            let function = try r.readU32()
            return .lower(function: function, options: try parseCanonOptions(&r))
        case 0x02: return .resourceNew(try r.readU32())
        case 0x03: return .resourceDrop(try r.readU32())
        case 0x04: return .resourceRep(try r.readU32())
        default:
            throw ComponentError.unsupported("canon section: canonical built-in 0x\(String(kind, radix: 16)) (threads/async) is not supported")
        }
    }

    private static func parseCanonOptions(_ r: inout BinaryReader) throws -> CanonOptionsDef {
        var options = CanonOptionsDef()
        var seenEncoding = false
        let count = try r.readCount("canon option")
        for _ in 0..<count {
            let kind = try r.readByte()
            switch kind {
            case 0x00, 0x01, 0x02:
                guard !seenEncoding else { throw r.error("duplicate string-encoding option") }
                seenEncoding = true
                options.encoding = kind == 0 ? .utf8 : (kind == 1 ? .utf16 : .latin1utf16)
            case 0x03:
                guard options.memory == nil else { throw r.error("duplicate memory option") }
                options.memory = try r.readU32()
            case 0x04:
                guard options.realloc == nil else { throw r.error("duplicate realloc option") }
                options.realloc = try r.readU32()
            case 0x05:
                guard options.postReturn == nil else { throw r.error("duplicate post-return option") }
                options.postReturn = try r.readU32()
            default:
                throw ComponentError.unsupported("canon option 0x\(String(kind, radix: 16)) (async) is not supported")
            }
        }
        return options
    }
}
