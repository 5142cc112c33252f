import WasmKit

// Lists (definitions.py `load_list` / `store_list`). A list of scalars crosses between guest
// memory and the host as one bounds-checked block: `list<u8>` becomes `.bytes` (a memcpy, no
// value per byte), other scalar lists are decoded from or encoded into one buffer instead of
// one checked access per element.

extension CanonicalABI {
    /// Lifts a list from `(pointer, element count)`.
    static func loadList(_ access: GuestAccess, element elementLayout: TypeLayout, pointer: UInt32, length: UInt32) throws -> ComponentValue {
        let count = Int(length)
        let elementSize = elementLayout.size
        let (total, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow else { throw ComponentError.trap("list of \(count) elements of \(elementSize) bytes overflows") }
        try access.checkAlignment(Int(pointer), elementLayout.alignment, "list")
        try access.check(Int(pointer), total, "list")
        let scalar = elementLayout.scalar
        if scalar == .u8 {
            try access.charge(count)
            return .bytes(try access.readBytes(Int(pointer), count, "list"))
        }
        try access.charge(count * elementLayout.valueNodes * GuestAccess.hostBytesPerValue)
        if let scalar {
            return .list(try access.withBytes(Int(pointer), total, "list") { raw in
                var items: [ComponentValue] = []
                items.reserveCapacity(count)
                for index in 0..<count { items.append(try decodeScalar(scalar, raw, at: index * elementSize)) }
                return items
            })
        }
        var items: [ComponentValue] = []
        items.reserveCapacity(count)
        for index in 0..<count {
            items.append(try load(access, elementLayout, at: Int(pointer) + index * elementSize))
        }
        return .list(items)
    }

    /// Stores a list (`.list`, or `.bytes` for a `list<u8>`) into freshly allocated guest
    /// memory; returns (pointer, element count).
    static func storeList(_ access: GuestAccess, _ value: ComponentValue, element elementLayout: TypeLayout) throws -> (UInt32, UInt32) {
        let scalar = elementLayout.scalar
        if scalar == .u8, let bytes = value.byteList {
            let pointer = try access.allocate(size: bytes.count, alignment: 1, "list")
            try access.writeBytes(pointer, bytes, "list")
            return (UInt32(pointer), UInt32(bytes.count))
        }
        guard case .list(let items) = value else { throw ComponentError.badArguments("expected a value of type list<\(elementLayout.type)>") }
        guard items.count <= Int(UInt32.max) else { throw ComponentError.trap("list of \(items.count) elements does not fit in 32-bit memory") }
        let elementSize = elementLayout.size
        let (total, overflow) = items.count.multipliedReportingOverflow(by: elementSize)
        guard !overflow else { throw ComponentError.trap("list of \(items.count) elements does not fit in 32-bit memory") }
        let pointer = try access.allocate(size: total, alignment: elementLayout.alignment, "list")
        if let scalar {
            var raw = [UInt8](repeating: 0, count: total)
            try raw.withUnsafeMutableBytes { buffer in
                for (index, item) in items.enumerated() { try encodeScalar(item, scalar, into: buffer, at: index * elementSize) }
            }
            try access.writeBytes(pointer, raw, "list")
        } else {
            for (index, item) in items.enumerated() {
                try store(access, item, elementLayout, at: pointer + index * elementSize)
            }
        }
        return (UInt32(pointer), UInt32(items.count))
    }

    /// Decodes the scalar of `type` stored at `offset` of `raw` (the caller checked the bounds).
    static func decodeScalar(_ type: ScalarKind, _ raw: UnsafeRawBufferPointer, at offset: Int) throws -> ComponentValue {
        func int<T: FixedWidthInteger>(_: T.Type) -> T { T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        switch type {
        case .bool: return .bool(raw[offset] != 0)
        case .s8: return .s8(Int8(bitPattern: raw[offset]))
        case .u8: return .u8(raw[offset])
        case .s16: return .s16(int(Int16.self))
        case .u16: return .u16(int(UInt16.self))
        case .s32: return .s32(int(Int32.self))
        case .u32: return .u32(int(UInt32.self))
        case .s64: return .s64(int(Int64.self))
        case .u64: return .u64(int(UInt64.self))
        case .f32: return .f32(float32(bits: int(UInt32.self)))
        case .f64: return .f64(float64(bits: int(UInt64.self)))
        case .char: return .char(try char(int(UInt32.self)))
        }
    }

    /// Encodes a scalar `value` of `type` at `offset` of `raw` (the caller sized the buffer).
    static func encodeScalar(_ value: ComponentValue, _ type: ScalarKind, into raw: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        func put<T: FixedWidthInteger>(_ number: T) { raw.storeBytes(of: number.littleEndian, toByteOffset: offset, as: T.self) }
        switch (type, value) {
        case (.bool, .bool(let v)): raw[offset] = v ? 1 : 0
        case (.s8, .s8(let v)): raw[offset] = UInt8(bitPattern: v)
        case (.u8, .u8(let v)): raw[offset] = v
        case (.s16, .s16(let v)): put(v)
        case (.u16, .u16(let v)): put(v)
        case (.s32, .s32(let v)): put(v)
        case (.u32, .u32(let v)): put(v)
        case (.s64, .s64(let v)): put(v)
        case (.u64, .u64(let v)): put(v)
        case (.f32, .f32(let v)): put(bits(v))
        case (.f64, .f64(let v)): put(bits(v))
        case (.char, .char(let v)): put(v.value)
        default: throw ComponentError.badArguments("expected a value of type \(type)")
        }
    }
}
