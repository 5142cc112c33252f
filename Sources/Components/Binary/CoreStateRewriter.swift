import WasmKit

// A load-time rewrite of each core module that makes its whole mutable state reachable from the
// host, so that a used instance can be reset to its post-instantiation state instead of being
// re-instantiated ("fast fresh instances", docs/fresh-instances.md).
//
// WasmKit's public API reaches a module's globals, memories and tables only through exports,
// and `__stack_pointer` or an adapter's state are never exported. So we append exports of every
// *defined* (not imported) memory, table and global under reserved names. Imported items are
// defined, and exported, by another core instance of the same component, so every item is
// snapshotted exactly once. Nothing else in the module changes, so its behaviour is identical.
//
// The module was already parsed and validated by WasmKit, but the rewrite still bounds-checks
// every read: any surprise (an unknown construct, a name clash) makes the module "not
// resettable", and the component then keeps re-instantiating per call, which is always exact.

/// The reserved export names added to one core module, by kind, in index order.
struct CoreStateExports: Sendable, Equatable {
    var memories: [String] = []
    var tables: [String] = []
    var globals: [String] = []

    /// Export names the rewrite adds start with this. No toolchain emits a name beginning with
    /// U+0000, and a module that already exports one is left unrewritten.
    static let reservedPrefix = "\u{0}enclaveos-state/"

    static func isReserved(_ name: String) -> Bool { name.hasPrefix(reservedPrefix) }
}

/// Why a core module could not be made resettable. Never shown to clients: the component falls
/// back to a fresh instance per call.
enum CoreStateRewriteError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    /// A construct whose state a snapshot cannot restore exactly (passive segments, which a
    /// call could drop; shared memory).
    case notResettable(String)
    case reservedNameInUse(String)

    var description: String {
        switch self {
        case .malformed(let why): return "cannot rewrite core module: \(why)"
        case .notResettable(let why): return "core module state cannot be reset: \(why)"
        case .reservedNameInUse(let name): return "core module already exports the reserved name \(name.debugDescription)"
        }
    }
}

enum CoreStateRewriter {
    private static let exportSectionID: UInt8 = 7
    /// Where each known section id must appear (the binary format's fixed order; tags, id 13,
    /// sit between memories and globals, data count, id 12, before code). Custom sections (0)
    /// may appear anywhere.
    private static let sectionRank: [UInt8: Int] = [1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13]

    struct Section {
        var id: UInt8
        /// Offset of the id byte.
        var start: Int
        var contentStart: Int
        var end: Int
    }

    /// Returns `bytes` with exports of every defined memory, table and global appended, and
    /// their names. `module` is WasmKit's parse of the same bytes (its imports and exports).
    static func rewrite(_ bytes: [UInt8], module: Module) throws(CoreStateRewriteError) -> (bytes: [UInt8], exports: CoreStateExports) {
        do {
            return try rewriteChecked(bytes, module: module)
        } catch let error as CoreStateRewriteError {
            throw error
        } catch {
            throw .malformed(String(describing: error))
        }
    }

    private static func rewriteChecked(_ bytes: [UInt8], module: Module) throws -> (bytes: [UInt8], exports: CoreStateExports) {
        for export in module.exports where CoreStateExports.isReserved(export.name) {
            throw CoreStateRewriteError.reservedNameInUse(export.name)
        }
        let sections = try split(bytes)
        var importedTables = 0, importedMemories = 0, importedGlobals = 0
        for entry in module.imports {
            switch entry.descriptor {
            case .table: importedTables += 1
            case .memory: importedMemories += 1
            case .global: importedGlobals += 1
            case .function, .tag: break
            }
        }
        var definedTables = 0, definedMemories = 0, definedGlobals = 0
        for section in sections {
            var reader = BinaryReader(bytes: bytes, offset: section.contentStart, end: section.end, context: "core section \(section.id)")
            switch section.id {
            // Counts are capped by the bytes left, so a hostile count cannot make us emit
            // billions of exports.
            case 4: definedTables = try reader.readCount("table")
            case 5: definedMemories = try checkMemories(&reader)
            case 6: definedGlobals = try reader.readCount("global")
            case 9: try checkElementSegments(&reader)
            case 11: try checkDataSegments(&reader)
            default: break
            }
        }

        var state = CoreStateExports()
        var entries: [UInt8] = []
        func add(_ kind: UInt8, _ tag: String, _ index: Int) throws -> String {
            guard let index = UInt32(exactly: index) else { throw CoreStateRewriteError.malformed("\(tag) index \(index) out of range") }
            let name = "\(CoreStateExports.reservedPrefix)\(tag)\(index)"
            let utf8 = Array(name.utf8)
            appendU32(UInt32(utf8.count), to: &entries)
            entries += utf8
            entries.append(kind)
            appendU32(index, to: &entries)
            return name
        }
        for offset in 0..<definedTables { state.tables.append(try add(0x01, "table", importedTables + offset)) }
        for offset in 0..<definedMemories { state.memories.append(try add(0x02, "memory", importedMemories + offset)) }
        for offset in 0..<definedGlobals { state.globals.append(try add(0x03, "global", importedGlobals + offset)) }
        let added = definedTables + definedMemories + definedGlobals
        guard added > 0 else { return (bytes, state) }

        // The new export section: the old entries (if any) followed by ours.
        var content: [UInt8] = []
        var insertAt = bytes.count
        var replaced: Section?
        if let existing = sections.first(where: { $0.id == exportSectionID }) {
            var reader = BinaryReader(bytes: bytes, offset: existing.contentStart, end: existing.end, context: "core export section")
            let count = Int(try reader.readU32())
            guard let total = UInt32(exactly: count + added) else { throw CoreStateRewriteError.malformed("too many exports") }
            appendU32(total, to: &content)
            content += bytes[reader.offset..<existing.end]
            replaced = existing
        } else {
            appendU32(UInt32(added), to: &content)
            let exportRank = sectionRank[exportSectionID]!
            if let next = sections.first(where: { $0.id != 0 && (sectionRank[$0.id] ?? 0) > exportRank }) {
                insertAt = next.start
            }
        }
        content += entries
        guard content.count <= Int(UInt32.max) else { throw CoreStateRewriteError.malformed("export section too large") }
        var section: [UInt8] = [exportSectionID]
        appendU32(UInt32(content.count), to: &section)
        section += content

        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + section.count)
        if let replaced {
            output += bytes[..<replaced.start]
            output += section
            output += bytes[replaced.end...]
        } else {
            output += bytes[..<insertAt]
            output += section
            output += bytes[insertAt...]
        }
        return (output, state)
    }

    /// The module's sections, after checking the header and that the sizes tile the file.
    static func split(_ bytes: [UInt8]) throws -> [Section] {
        var reader = BinaryReader(bytes: bytes, context: "core module")
        let header = try reader.readBytes(8)
        guard header.elementsEqual([0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]) else {
            throw CoreStateRewriteError.malformed("not a version 1 core module")
        }
        var sections: [Section] = []
        while !reader.isAtEnd {
            let start = reader.offset
            let id = try reader.readByte()
            let size = Int(try reader.readU32())
            let contentStart = reader.offset
            try reader.skip(size)
            sections.append(Section(id: id, start: start, contentStart: contentStart, end: reader.offset))
        }
        return sections
    }

    /// Counts the defined memories; a shared one (threads) is refused.
    private static func checkMemories(_ reader: inout BinaryReader) throws -> Int {
        let count = try reader.readCount("memory")
        for index in 0..<count {
            let flags = try reader.readU32()
            guard flags & ~0x0F == 0 else { throw CoreStateRewriteError.notResettable("memory \(index) has unknown limit flags \(flags)") }
            guard flags & 0x02 == 0 else { throw CoreStateRewriteError.notResettable("memory \(index) is shared") }
            let is64 = flags & 0x04 != 0
            try skipLEB(&reader, maxBytes: is64 ? 10 : 5)
            if flags & 0x01 != 0 { try skipLEB(&reader, maxBytes: is64 ? 10 : 5) }
            if flags & 0x08 != 0 { _ = try reader.readU32() }  // custom page size (log2)
        }
        return count
    }

    /// Refuses passive element segments: a call could `elem.drop` one, and a restore cannot
    /// bring it back. Active and declarative segments are dropped by instantiation itself.
    private static func checkElementSegments(_ reader: inout BinaryReader) throws {
        let count = try reader.readCount("element segment")
        for index in 0..<count {
            let flags = try reader.readU32()
            switch flags {
            case 1, 5: throw CoreStateRewriteError.notResettable("element segment \(index) is passive")
            case 0: try skipConstExpr(&reader); try skipIndices(&reader)
            case 2: _ = try reader.readU32(); try skipConstExpr(&reader); _ = try reader.readByte(); try skipIndices(&reader)
            case 3: _ = try reader.readByte(); try skipIndices(&reader)
            case 4: try skipConstExpr(&reader); try skipExprs(&reader)
            case 6: _ = try reader.readU32(); try skipConstExpr(&reader); try skipRefType(&reader); try skipExprs(&reader)
            case 7: try skipRefType(&reader); try skipExprs(&reader)
            default: throw CoreStateRewriteError.malformed("element segment \(index) has unknown flags \(flags)")
            }
        }
    }

    /// Refuses passive data segments, for the same reason as element segments (`data.drop`).
    private static func checkDataSegments(_ reader: inout BinaryReader) throws {
        let count = try reader.readCount("data segment")
        for index in 0..<count {
            let flags = try reader.readU32()
            switch flags {
            case 0: try skipConstExpr(&reader)
            case 1: throw CoreStateRewriteError.notResettable("data segment \(index) is passive")
            case 2: _ = try reader.readU32(); try skipConstExpr(&reader)
            default: throw CoreStateRewriteError.malformed("data segment \(index) has unknown flags \(flags)")
            }
            try reader.skip(Int(try reader.readU32()))
        }
    }

    private static func skipIndices(_ reader: inout BinaryReader) throws {
        let count = try reader.readCount("element index")
        for _ in 0..<count { _ = try reader.readU32() }
    }

    private static func skipExprs(_ reader: inout BinaryReader) throws {
        let count = try reader.readCount("element expression")
        for _ in 0..<count { try skipConstExpr(&reader) }
    }

    private static func skipRefType(_ reader: inout BinaryReader) throws {
        let byte = try reader.readByte()
        if byte == 0x63 || byte == 0x64 { _ = try reader.readS33() }
    }

    /// Skips a constant expression up to its `end`. Only the operators constant expressions
    /// may use (MVP, reference types, extended-const, SIMD) are known; anything else (e.g. GC)
    /// makes the module not resettable rather than risking a mis-parse.
    private static func skipConstExpr(_ reader: inout BinaryReader) throws {
        while true {
            let opcode = try reader.readByte()
            switch opcode {
            case 0x0B: return
            case 0x41: try skipLEB(&reader, maxBytes: 5)
            case 0x42: try skipLEB(&reader, maxBytes: 10)
            case 0x43: try reader.skip(4)
            case 0x44: try reader.skip(8)
            case 0x23, 0xD2: _ = try reader.readU32()
            case 0xD0: _ = try reader.readS33()
            case 0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E: break
            case 0xFD:
                guard try reader.readU32() == 12 else { throw CoreStateRewriteError.notResettable("unknown SIMD operator in a constant expression") }
                try reader.skip(16)
            default:
                throw CoreStateRewriteError.notResettable("operator 0x\(String(opcode, radix: 16)) in a constant expression")
            }
        }
    }

    private static func skipLEB(_ reader: inout BinaryReader, maxBytes: Int) throws {
        for _ in 0..<maxBytes {
            if try reader.readByte() & 0x80 == 0 { return }
        }
        throw CoreStateRewriteError.malformed("LEB128 longer than \(maxBytes) bytes")
    }

    static func appendU32(_ value: UInt32, to bytes: inout [UInt8]) {
        var value = value
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value != 0
    }
}
