/// Decodes a component binary into a `ComponentAST` (Binary.md, version 0x0d, layer 1).
/// Structure only: index validity is checked by `ComponentLinker`.
enum ComponentParser {
    static let magic: [UInt8] = [0x00, 0x61, 0x73, 0x6d]

    /// Decodes a whole component binary, starting with its preamble.
    static func parse(_ bytes: [UInt8]) throws -> ComponentAST {
        var reader = BinaryReader(bytes: bytes, context: "preamble")
        try checkPreamble(&reader)
        var nextID = 0
        return try parseSections(&reader, depth: 0, nextID: &nextID)
    }

    /// The first bytes of an ELF file: what `wasmtime compile` writes (`.cwasm`).
    static let elfMagic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]

    /// Checks magic, version and layer; a core module gets a clear `notAComponent`.
    static func checkPreamble(_ reader: inout BinaryReader, nested: Bool = false) throws {
        if !nested, reader.remaining >= 4, Array(reader.bytes.prefix(4)) == elfMagic {
            throw ComponentError.notAComponent(
                "this is an ELF file (native code, e.g. a `.cwasm` from `wasmtime compile`), which EnclaveOS cannot run; "
                + "upload the WebAssembly component (`.wasm`) it was compiled from")
        }
        guard reader.remaining >= 8 else {
            if nested { throw reader.error("unexpected end-of-file: shorter than the 8-byte WebAssembly preamble") }
            if reader.remaining >= 4, Array(try reader.readBytes(4)) != magic {
                throw ComponentError.notAComponent("missing the \\0asm magic number")
            }
            throw ComponentError.notAComponent("the file is shorter than the 8-byte WebAssembly preamble")
        }
        guard Array(try reader.readBytes(4)) == magic else {
            if nested { throw reader.error("missing the \\0asm magic number") }
            throw ComponentError.notAComponent("missing the \\0asm magic number")
        }
        let version = UInt16(try reader.readByte()) | UInt16(try reader.readByte()) << 8
        let layer = UInt16(try reader.readByte()) | UInt16(try reader.readByte()) << 8
        if layer == 0 {
            if nested { throw reader.error("expected a version header for a component, found a core module") }
            throw ComponentError.notAComponent(
                "this is a core WebAssembly module (layer 0, version \(version)), not a component; upload a component: "
                + "build one with cargo-component, componentize-py or jco, or wrap a WASI preview 1 module with "
                + "`wasm-tools component new module.wasm --adapt wasi_snapshot_preview1.reactor.wasm`")
        }
        guard layer == 1 else {
            throw reader.error("unknown binary version: layer \(layer) in the preamble")
        }
        guard version == 0x0d else {
            throw reader.error("unknown binary version 0x\(String(version, radix: 16)); only component version 0x0d is supported")
        }
    }

    /// Decodes sections until the reader's end.
    static func parseSections(_ reader: inout BinaryReader, depth: Int, nextID: inout Int) throws -> ComponentAST {
        guard depth <= DecodeLimits.maxNestingDepth else {
            throw reader.error("components nested deeper than \(DecodeLimits.maxNestingDepth)")
        }
        var ast = ComponentAST()
        ast.id = nextID
        nextID += 1
        while !reader.isAtEnd {
            reader.context = "section header"
            let id = try reader.readByte()
            guard id <= 12 else { throw reader.error("malformed section id \(id)") }
            let size = Int(try reader.readU32())
            guard size <= reader.remaining else {
                throw reader.error("unexpected end-of-file: section \(id) declares \(size) bytes but only \(reader.remaining) are left")
            }
            let start = reader.offset
            var section = BinaryReader(bytes: reader.bytes, offset: start, end: start + size, context: sectionName(id))
            try parseSection(id: id, &section, into: &ast, depth: depth, nextID: &nextID)
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

    private static func parseSection(id: UInt8, _ r: inout BinaryReader, into ast: inout ComponentAST, depth: Int, nextID: inout Int) throws {
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
            let types = try r.readVector("core type", minItemBytes: 1) { try CoreTypeParser.parseCoreType(&$0, depth: depth) }
            ast.definitions += types.map { .coreType($0) }
        case 4:
            var inner = BinaryReader(bytes: r.bytes, offset: r.offset, end: r.end, context: "nested component")
            try checkPreamble(&inner, nested: true)
            let nested = try parseSections(&inner, depth: depth + 1, nextID: &nextID)
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
            let items = try r.readVector("canon", minItemBytes: 1) { try parseCanon(&$0) }
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
                default: throw reader.error("invalid leading byte (0x\(String(hasDesc, radix: 16))) for optional component export type")
                }
                return .export(name: name, target: target, desc: desc)
            }
            ast.definitions += items
        case 12:
            throw ComponentError.unsupported("value section: component values are not supported")
        default:
            throw r.error("malformed section id \(id)")
        }
    }

    /// `importname'` / `exportname'`: 0x00 or 0x01 and a name, or 0x02, a name and attributes
    /// (0x00 `implements`, 0x02 `external-id`; 0x01 is an older version suffix, ignored).
    static func parseExternName(_ r: inout BinaryReader) throws -> ExternName {
        let kind = try r.readByte()
        switch kind {
        case 0x00, 0x01: return ExternName(try r.readName("extern name"))
        case 0x02:
            var name = ExternName(try r.readName("extern name"))
            var seen = Set<UInt8>()
            let count = try r.readCount("name attribute", minItemBytes: 2)
            for _ in 0..<count {
                let attribute = try r.readByte()
                let value = try r.readName("name attribute")
                switch attribute {
                case 0x00: name.implements = value
                case 0x01: break
                case 0x02: name.externalID = value
                default: throw r.error("invalid leading byte (0x\(String(attribute, radix: 16))) for name option")
                }
                guard seen.insert(attribute).inserted else {
                    throw ComponentError.invalid("duplicate '\(attribute == 0 ? "implements" : "external-id")' option in name '\(name.name)'")
                }
            }
            return name
        default: throw r.error("invalid leading byte (0x\(String(kind, radix: 16))) for component name")
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
                guard sort == 0x12 else { throw reader.error("invalid leading byte (0x\(String(sort, radix: 16))) for instantiation arg kind") }
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
            throw r.error("invalid leading byte (0x\(String(kind, radix: 16))) for core instance")
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
            let exports = try r.readVector("inline export", minItemBytes: 3) { reader -> (ExternName, SortIndex) in
                (try parseExternName(&reader), try parseSortIndex(&reader))
            }
            return .inline(exports)
        default:
            throw r.error("invalid leading byte (0x\(String(kind, radix: 16))) for instance")
        }
    }

    /// `alias`. Outer aliases may only name core modules, core types, types and components.
    static func parseAlias(_ r: inout BinaryReader) throws -> Alias {
        let sort: Sort
        do { sort = try parseSort(&r) } catch let error as ComponentError {
            throw ComponentError.malformed("\(error.reason) (as a component alias kind)")
        }
        let kind = try r.readByte()
        switch kind {
        case 0x00: return Alias(sort: sort, target: .export(instance: try r.readU32(), name: try r.readName("alias name")))
        case 0x01: return Alias(sort: sort, target: .coreExport(instance: try r.readU32(), name: try r.readName("alias name")))
        case 0x02:
            switch sort {
            case .core(.module), .core(.type), .type, .component: break
            default:
                let byte = r.bytes[r.offset - 2]
                throw r.error("invalid leading byte (0x\(String(byte, radix: 16))) for component outer alias kind")
            }
            return Alias(sort: sort, target: .outer(count: try r.readU32(), index: try r.readU32()))
        default: throw r.error("invalid leading byte (0x\(String(kind, radix: 16))) for alias")
        }
    }

    private static func parseCanon(_ r: inout BinaryReader) throws -> Canon {
        let kind = try r.readByte()
        switch kind {
        case 0x00:
            let sort = try r.readByte()
            guard sort == 0x00 else { throw r.error("invalid leading byte (0x\(String(sort, radix: 16))) for canonical function lift") }
            let function = try r.readU32()
            let options = try parseCanonOptions(&r)
            return .lift(coreFunction: function, options: options, type: try r.readU32())
        case 0x01:
            let sort = try r.readByte()
            guard sort == 0x00 else { throw r.error("invalid leading byte (0x\(String(sort, radix: 16))) for canonical function lower") }
            let function = try r.readU32()
            return .lower(function: function, options: try parseCanonOptions(&r))
        case 0x02: return .resourceNew(try r.readU32())
        case 0x03: return .resourceDrop(try r.readU32())
        case 0x04: return .resourceRep(try r.readU32())
        default:
            return .builtin(try CanonBuiltinParser.parse(kind, &r))
        }
    }

    static func parseCanonOptions(_ r: inout BinaryReader) throws -> CanonOptionsDef {
        var options = CanonOptionsDef()
        let count = try r.readCount("canon option")
        for _ in 0..<count {
            let kind = try r.readByte()
            switch kind {
            case 0x00: options.encodings.append(.utf8)
            case 0x01: options.encodings.append(.utf16)
            case 0x02: options.encodings.append(.latin1utf16)
            case 0x03: options.memories.append(try r.readU32())
            case 0x04: options.reallocs.append(try r.readU32())
            case 0x05: options.postReturns.append(try r.readU32())
            case 0x06: options.isAsync = true
            case 0x07: options.callbacks.append(try r.readU32())
            case 0x08:
                _ = try r.readU32()
                options.gcOptions += 1
            case 0x09: options.gcOptions += 1
            default:
                throw r.error("invalid leading byte (0x\(String(kind, radix: 16))) for canonical option")
            }
        }
        return options
    }
}
