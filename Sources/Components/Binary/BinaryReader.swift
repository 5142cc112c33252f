/// Hard caps applied while decoding untrusted component binaries. Declared counts are checked
/// against these (and against the bytes actually left) before anything is allocated, so a
/// hostile length field can never make us reserve gigabytes or loop for long.
enum DecodeLimits {
    /// Maximum number of items in any one vector (fields, cases, exports, declarations...).
    static let maxVectorCount = 100_000
    /// Maximum length of a name in bytes.
    static let maxNameLength = 64 * 1024
    /// Maximum nesting depth of components inside components and of instance/component types.
    static let maxNestingDepth = 16
    /// Maximum number of definitions across one component (all index spaces together).
    static let maxDefinitions = 1_000_000
    /// Maximum structural size of one resolved value type (nodes); guards against types that
    /// double in size at each level and would make flattening or printing exponential.
    static let maxTypeNodes = 10_000
    /// Maximum nesting depth of one value type (the lift/lower code recurses on it).
    static let maxTypeDepth = 64
    /// Maximum type nodes resolved across a whole component (all value and function types).
    static let maxTotalTypeNodes = 2_000_000
    /// Maximum core instances and component instances one instantiation creates (nested
    /// instantiations multiply; wasmtime's default store limit is also 10,000 instances).
    static let maxInstances = 10_000
}

/// A bounds-checked cursor over a byte buffer. Every read either succeeds within the buffer or
/// throws `ComponentError.malformed` naming the current section context and what was expected.
struct BinaryReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int
    /// The section being decoded, used as the prefix of error messages.
    var context: String

    init(bytes: [UInt8], offset: Int = 0, end: Int? = nil, context: String) {
        self.bytes = bytes
        self.offset = offset
        self.end = min(end ?? bytes.count, bytes.count)
        self.context = context
    }

    var isAtEnd: Bool { offset >= end }
    var remaining: Int { max(0, end - offset) }

    /// An error for the current context, e.g. `type: unexpected end of data`.
    func error(_ what: String) -> ComponentError {
        .malformed("\(context): \(what) (at byte \(offset))")
    }

    mutating func readByte() throws -> UInt8 {
        guard offset < end else { throw error("unexpected end of data") }
        let byte = bytes[offset]
        offset += 1
        return byte
    }

    /// Looks at the next byte without consuming it.
    func peekByte() throws -> UInt8 {
        guard offset < end else { throw error("unexpected end of data") }
        return bytes[offset]
    }

    mutating func readBytes(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw error("length \(count) exceeds the \(remaining) bytes left")
        }
        let slice = bytes[offset..<(offset + count)]
        offset += count
        return slice
    }

    mutating func skip(_ count: Int) throws {
        _ = try readBytes(count)
    }

    /// Unsigned LEB128, at most 5 bytes, value must fit in 32 bits.
    mutating func readU32() throws -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        for index in 0..<5 {
            let byte = try readByte()
            let payload = UInt32(byte & 0x7f)
            if index == 4 && payload > 0x0f {
                throw error("integer too large: u32 LEB128 overflows 32 bits")
            }
            result |= payload << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw error("u32 LEB128 longer than 5 bytes")
    }

    /// Unsigned LEB128, at most 10 bytes, value must fit in 64 bits (64-bit limits).
    mutating func readU64() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        for index in 0..<10 {
            let byte = try readByte()
            let payload = UInt64(byte & 0x7f)
            if index == 9 && payload > 0x01 {
                throw error("integer too large: u64 LEB128 overflows 64 bits")
            }
            result |= payload << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw error("u64 LEB128 longer than 10 bytes")
    }

    /// A u32 used as a count of following items: capped, and required to be plausible given the
    /// bytes left (each item takes at least `minItemBytes` bytes).
    mutating func readCount(_ what: String, minItemBytes: Int = 1) throws -> Int {
        let count = Int(try readU32())
        guard count <= DecodeLimits.maxVectorCount else {
            throw error("\(what) count \(count) exceeds the limit of \(DecodeLimits.maxVectorCount)")
        }
        guard count * max(minItemBytes, 0) <= remaining else {
            throw error("\(what) count \(count) is larger than the data left")
        }
        return count
    }

    /// Signed LEB128 of at most 33 bits (the core type/valtype encoding); returned widened.
    mutating func readS33() throws -> Int64 {
        var result: Int64 = 0
        var shift: Int64 = 0
        var byte: UInt8 = 0
        for index in 0..<5 {
            byte = try readByte()
            result |= Int64(byte & 0x7f) << shift
            shift += 7
            if byte & 0x80 == 0 { break }
            if index == 4 { throw error("s33 LEB128 longer than 5 bytes") }
        }
        if shift < 64 && byte & 0x40 != 0 {
            result |= -1 << shift
        }
        return result
    }

    /// A length-prefixed UTF-8 name.
    mutating func readName(_ what: String = "name") throws -> String {
        let length = Int(try readU32())
        guard length <= DecodeLimits.maxNameLength else {
            throw error("\(what) of \(length) bytes exceeds the limit")
        }
        let raw = try readBytes(length)
        guard let name = String(validating: raw, as: UTF8.self) else {
            throw error("\(what) is not valid UTF-8")
        }
        return name
    }

    /// Reads a vector whose elements are decoded by `element`.
    mutating func readVector<T>(_ what: String, minItemBytes: Int = 1, _ element: (inout BinaryReader) throws -> T) throws -> [T] {
        let count = try readCount(what, minItemBytes: minItemBytes)
        var items: [T] = []
        items.reserveCapacity(count)
        for _ in 0..<count {
            items.append(try element(&self))
        }
        return items
    }

    /// Fails unless the reader consumed exactly its range (sections must not have trailing bytes).
    func expectEnd() throws {
        if offset != end {
            throw error("\(end - offset) unexpected trailing bytes")
        }
    }
}
