/// Why evidence bytes do not have the documented layout; the text names the field and offset.
public struct EvidenceLayoutError: Error, Equatable, CustomStringConvertible {
    /// What is wrong, e.g. `quote: QE report needs 384 bytes at offset 764, only 12 left`.
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A bounds-checked little-endian cursor over `[start, end)` of hostile bytes.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int
    let what: String

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil, what: String) {
        self.bytes = bytes
        self.offset = start
        self.end = min(end ?? bytes.count, bytes.count)
        self.what = what
    }

    var remaining: Int { max(0, end - offset) }

    /// The next `count` bytes; throws naming `field` when fewer remain.
    mutating func take(_ count: Int, _ field: String) throws -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw EvidenceLayoutError("\(what): \(field) needs \(count) bytes at offset \(offset), only \(remaining) left")
        }
        defer { offset += count }
        return Array(bytes[offset ..< offset + count])
    }

    mutating func u16(_ field: String) throws -> Int {
        Int(LittleEndian.u16(try take(2, field), 0))
    }

    mutating func u32(_ field: String) throws -> Int {
        Int(LittleEndian.u32(try take(4, field), 0))
    }
}

/// Little-endian integers at an offset the caller has bounds-checked.
enum LittleEndian {
    static func u16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        (0 ..< 4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }

    static func u64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        (0 ..< 8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) }
    }
}
