// A load-time rewrite that makes entering a function cost one unit of fuel, as in wasmtime.
//
// Both engines charge one unit per executed operator (nop, drop, block, loop, end, else,
// unreachable and return are free), so a budget means the same work on both, except that
// wasmtime also charges one unit for every function entered (an empty function costs 1) and
// WasmKit 0.4.2 does not. Prepending `i32.const 0; drop` to every function body adds exactly that
// unit here: the constant costs 1, the drop is free, and the pair has no other effect (the stack
// is back as it was before the body's first operator). Measured by FuelParityTests.

enum FuelEntryCharge {
    /// `i32.const 0; drop`.
    static let prologue: [UInt8] = [0x41, 0x00, 0x1A]
    private static let codeSectionID: UInt8 = 10

    /// `bytes` with the prologue at the top of every function body (after its local
    /// declarations), or nil when the code section cannot be read exactly; the module then runs
    /// as it is, without the entry charge. `bytes` was already parsed by WasmKit, but every read
    /// is still bounds-checked.
    static func insert(_ bytes: [UInt8]) -> [UInt8]? {
        guard let sections = try? CoreStateRewriter.split(bytes),
              let code = sections.first(where: { $0.id == codeSectionID }),
              let content = try? rewriteCode(bytes, code)
        else { return nil }
        guard content.count <= Int(UInt32.max) else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + content.count - (code.end - code.contentStart) + 5)
        output += bytes[..<code.start]
        output.append(codeSectionID)
        CoreStateRewriter.appendU32(UInt32(content.count), to: &output)
        output += content
        output += bytes[code.end...]
        return output
    }

    /// The code section's new content: the same bodies, each with the prologue after its locals.
    private static func rewriteCode(_ bytes: [UInt8], _ code: CoreStateRewriter.Section) throws -> [UInt8] {
        var reader = BinaryReader(bytes: bytes, offset: code.contentStart, end: code.end, context: "core code section")
        let count = try reader.readCount("function body")
        var content: [UInt8] = []
        content.reserveCapacity(code.end - code.contentStart + count * (prologue.count + 1))
        CoreStateRewriter.appendU32(UInt32(count), to: &content)
        for _ in 0..<count {
            let size = Int(try reader.readU32())
            let bodyStart = reader.offset
            try reader.skip(size)
            let bodyEnd = reader.offset
            var body = BinaryReader(bytes: bytes, offset: bodyStart, end: bodyEnd, context: "function body")
            let declarations = try body.readCount("local declaration")
            for _ in 0..<declarations {
                _ = try body.readU32()
                let type = try body.readByte()
                if type == 0x63 || type == 0x64 { _ = try body.readS33() }  // (ref null? heaptype)
            }
            guard let newSize = UInt32(exactly: size + prologue.count) else { throw CoreStateRewriteError.malformed("function body too large") }
            CoreStateRewriter.appendU32(newSize, to: &content)
            content += bytes[bodyStart..<body.offset]
            content += prologue
            content += bytes[body.offset..<bodyEnd]
        }
        guard reader.isAtEnd else { throw CoreStateRewriteError.malformed("bytes after the last function body") }
        return content
    }
}
