// Removes every custom section (id 0) from a core module before WasmKit sees it.
//
// Custom sections carry no semantics, but WasmKit 0.4.2 interprets one of them: when a call
// traps it symbolicates the backtrace through the module's `name` section, and
// `NameRegistry.register(instance:nameMap:)` indexes the instance's functions with the names'
// function indices without a bounds check. A `name` section that names function 0x3FFFFFFF
// turned every trap of that module into a SIGSEGV of the whole server (a debug build aborts in
// `StoreAllocator`). Validating the section would mean re-implementing WasmKit's reading of it;
// dropping all custom sections removes the whole class (names, DWARF `.debug_*`, producers,
// anything a later WasmKit might read) and costs nothing: no guest can observe them.
//
// The stripping is not optional, unlike the other load-time rewrites: a module whose sections
// cannot be split is refused (WasmKit already parsed it, so that never happens to a valid one).

enum CustomSectionStripper {
    static let customSectionID: UInt8 = 0

    /// `bytes` without its custom sections (the same array when it has none).
    /// - Throws: `CoreStateRewriteError.malformed` when the section sizes do not tile the module.
    static func strip(_ bytes: [UInt8]) throws(CoreStateRewriteError) -> [UInt8] {
        let sections: [CoreStateRewriter.Section]
        do {
            sections = try CoreStateRewriter.split(bytes)
        } catch let error as CoreStateRewriteError {
            throw error
        } catch {
            throw .malformed(String(describing: error))
        }
        let custom = sections.filter { $0.id == customSectionID }
        guard !custom.isEmpty else { return bytes }
        // A custom section's name must still be well-formed (a length-prefixed UTF-8 string
        // inside the section): stripping must not turn a malformed module into a valid one.
        for section in custom {
            var reader = BinaryReader(bytes: bytes, offset: section.contentStart, end: section.end, context: "core custom section")
            do {
                _ = try reader.readName("custom section name")
            } catch {
                throw .malformed(String(describing: error))
            }
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        output += bytes[..<8]  // magic and version, checked by split
        for section in sections where section.id != customSectionID {
            output += bytes[section.start..<section.end]
        }
        return output
    }
}
