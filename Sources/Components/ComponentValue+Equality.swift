// Equality and hashing of component values, written out because a `list<u8>` has two
// spellings (`.bytes` and `.list` of `.u8`) that must compare equal, as the same WIT value.

extension ComponentValue: Equatable {
    public static func == (lhs: ComponentValue, rhs: ComponentValue) -> Bool {
        switch (lhs, rhs) {
        case (.bool(let a), .bool(let b)): return a == b
        case (.s8(let a), .s8(let b)): return a == b
        case (.u8(let a), .u8(let b)): return a == b
        case (.s16(let a), .s16(let b)): return a == b
        case (.u16(let a), .u16(let b)): return a == b
        case (.s32(let a), .s32(let b)): return a == b
        case (.u32(let a), .u32(let b)): return a == b
        case (.s64(let a), .s64(let b)): return a == b
        case (.u64(let a), .u64(let b)): return a == b
        case (.f32(let a), .f32(let b)): return a == b
        case (.f64(let a), .f64(let b)): return a == b
        case (.char(let a), .char(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.list(let a), .list(let b)): return a == b
        case (.bytes(let a), .bytes(let b)): return a == b
        case (.bytes(let bytes), .list(let items)), (.list(let items), .bytes(let bytes)):
            return bytes.count == items.count && zip(bytes, items).allSatisfy { $0.1 == .u8($0.0) }
        case (.record(let a), .record(let b)): return a == b
        case (.tuple(let a), .tuple(let b)): return a == b
        case (.variant(let i, let p), .variant(let j, let q)): return i == j && p == q
        case (.enum(let i), .enum(let j)): return i == j
        case (.option(let a), .option(let b)): return a == b
        case (.result(let e, let p), .result(let f, let q)): return e == f && p == q
        case (.flags(let a), .flags(let b)): return a == b
        case (.handle(let a), .handle(let b)): return a == b
        default: return false
        }
    }
}

extension ComponentValue: Hashable {
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .bool(let v): hasher.combine(0); hasher.combine(v)
        case .s8(let v): hasher.combine(1); hasher.combine(v)
        case .u8(let v): hasher.combine(2); hasher.combine(v)
        case .s16(let v): hasher.combine(3); hasher.combine(v)
        case .u16(let v): hasher.combine(4); hasher.combine(v)
        case .s32(let v): hasher.combine(5); hasher.combine(v)
        case .u32(let v): hasher.combine(6); hasher.combine(v)
        case .s64(let v): hasher.combine(7); hasher.combine(v)
        case .u64(let v): hasher.combine(8); hasher.combine(v)
        case .f32(let v): hasher.combine(9); hasher.combine(v)
        case .f64(let v): hasher.combine(10); hasher.combine(v)
        case .char(let v): hasher.combine(11); hasher.combine(v)
        case .string(let v): hasher.combine(12); hasher.combine(v)
        case .list(let items):
            // A list of u8s hashes as the bytes it spells (see `==`).
            if let bytes = Self.bytes(of: items) { Self.hashBytes(bytes, into: &hasher) } else { hasher.combine(13); hasher.combine(items) }
        case .bytes(let bytes): Self.hashBytes(bytes, into: &hasher)
        case .record(let v): hasher.combine(15); hasher.combine(v)
        case .tuple(let v): hasher.combine(16); hasher.combine(v)
        case .variant(let i, let p): hasher.combine(17); hasher.combine(i); hasher.combine(p)
        case .enum(let i): hasher.combine(18); hasher.combine(i)
        case .option(let v): hasher.combine(19); hasher.combine(v)
        case .result(let e, let p): hasher.combine(20); hasher.combine(e); hasher.combine(p)
        case .flags(let v): hasher.combine(21); hasher.combine(v)
        case .handle(let v): hasher.combine(22); hasher.combine(v)
        }
    }

    private static func hashBytes(_ bytes: [UInt8], into hasher: inout Hasher) {
        hasher.combine(14)
        hasher.combine(bytes.count)
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
