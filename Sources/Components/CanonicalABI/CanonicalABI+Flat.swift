import WasmKit

/// A cursor over flat core values being lifted; traps on a type mismatch instead of crashing.
/// It reads the values in place: a host import's arguments come from WasmKit as a buffer, and
/// copying them into an array cost an allocation per host call.
struct FlatCursor {
    /// Valid while the cursor is used: the engine's argument buffer during a host call, or an
    /// array's storage inside `over`.
    let values: UnsafeBufferPointer<Value>
    var index = 0

    init(_ values: UnsafeBufferPointer<Value>) { self.values = values }

    /// Runs `body` with a cursor over `values`.
    static func over<T>(_ values: [Value], _ body: (inout FlatCursor) throws -> T) rethrows -> T {
        try values.withUnsafeBufferPointer { buffer in
            var cursor = FlatCursor(buffer)
            return try body(&cursor)
        }
    }

    mutating func next(_ want: ValueType) throws -> Value {
        guard index < values.count else { throw ComponentError.trap("canonical ABI: too few core values") }
        let value = values[index]
        index += 1
        guard CanonicalABI.type(of: value) == want else {
            throw ComponentError.trap("canonical ABI: expected a core \(want), got \(value)")
        }
        return value
    }
}

// Flat lifting and lowering (definitions.py `lift_flat` / `lower_flat`), including the variant
// payload coercions between joined flat types.
extension CanonicalABI {
    static func type(of value: Value) -> ValueType? {
        switch value {
        case .i32: return .i32
        case .i64: return .i64
        case .f32: return .f32
        case .f64: return .f64
        default: return nil
        }
    }

    static func zero(_ type: ValueType) -> Value {
        switch type {
        case .i64: return .i64(0)
        case .f32: return .f32(0)
        case .f64: return .f64(0)
        default: return .i32(0)
        }
    }

    private static func i32(_ cursor: inout FlatCursor) throws -> UInt32 {
        guard case .i32(let raw) = try cursor.next(.i32) else { return 0 }
        return raw
    }

    /// Lifts one value of `type` from flat core values.
    static func liftFlat(_ access: GuestAccess, _ cursor: inout FlatCursor, _ type: WITType) throws -> ComponentValue {
        try liftFlat(access, &cursor, TypeLayout(type))
    }

    /// Lifts one value from flat core values, by its precomputed layout.
    static func liftFlat(_ access: GuestAccess, _ cursor: inout FlatCursor, _ layout: TypeLayout) throws -> ComponentValue {
        switch layout.shape {
        case .scalar(let kind):
            return try liftFlatScalar(&cursor, kind)
        case .string:
            let pointer = try i32(&cursor)
            return try loadString(access, pointer: pointer, length: try i32(&cursor))
        case .list(let element):
            let pointer = try i32(&cursor)
            return try loadList(access, element: element, pointer: pointer, length: try i32(&cursor))
        case .flags(let count):
            let raw = count == 0 ? 0 : try i32(&cursor)
            return .flags((0..<count).map { raw >> UInt32($0) & 1 == 1 })
        case .own(let resource): return .handle(try access.requireHandles().liftOwn(try i32(&cursor), resource))
        case .borrow(let resource): return .handle(try access.requireHandles().liftBorrow(try i32(&cursor), resource))
        case .fields(let fields, _):
            var values: [ComponentValue] = []
            values.reserveCapacity(fields.count)
            for field in fields { values.append(try liftFlat(access, &cursor, field)) }
            return layout.isRecord ? .record(values) : .tuple(values)
        case .variant(let cases, _, _, let joined):
            let discriminant = Int(try i32(&cursor))
            guard discriminant < cases.count else {
                throw ComponentError.trap("invalid \(layout.type) discriminant \(discriminant) (\(cases.count) cases)")
            }
            var raw: [Value] = []
            raw.reserveCapacity(joined.count)
            for want in joined { raw.append(try cursor.next(want)) }
            var payload: ComponentValue?
            if let payloadLayout = cases[discriminant] {
                payload = try FlatCursor.over(zip(raw, payloadLayout.flat).map { narrow($0.0, to: $0.1) }) { coerced in
                    try liftFlat(access, &coerced, payloadLayout)
                }
            }
            return makeVariant(layout, discriminant, payload)
        }
    }

    /// Lifts a scalar (bool, integer, float, char) from flat core values.
    private static func liftFlatScalar(_ cursor: inout FlatCursor, _ type: ScalarKind) throws -> ComponentValue {
        switch type {
        case .bool: return .bool(try i32(&cursor) != 0)
        case .s8: return .s8(Int8(truncatingIfNeeded: try i32(&cursor)))
        case .u8: return .u8(UInt8(truncatingIfNeeded: try i32(&cursor)))
        case .s16: return .s16(Int16(truncatingIfNeeded: try i32(&cursor)))
        case .u16: return .u16(UInt16(truncatingIfNeeded: try i32(&cursor)))
        case .s32: return .s32(Int32(bitPattern: try i32(&cursor)))
        case .u32: return .u32(try i32(&cursor))
        case .s64, .u64:
            guard case .i64(let raw) = try cursor.next(.i64) else { return .u64(0) }
            return type == .s64 ? .s64(Int64(bitPattern: raw)) : .u64(raw)
        case .f32:
            guard case .f32(let raw) = try cursor.next(.f32) else { return .f32(0) }
            return .f32(float32(bits: raw))
        case .f64:
            guard case .f64(let raw) = try cursor.next(.f64) else { return .f64(0) }
            return .f64(float64(bits: raw))
        case .char: return .char(try char(try i32(&cursor)))
        }
    }

    /// Reinterprets a joined flat value as the payload's own flat type.
    static func narrow(_ value: Value, to want: ValueType) -> Value {
        switch (value, want) {
        case (.i32(let raw), .f32): return .f32(raw)
        case (.i64(let raw), .i32): return .i32(UInt32(truncatingIfNeeded: raw))
        case (.i64(let raw), .f32): return .f32(UInt32(truncatingIfNeeded: raw))
        case (.i64(let raw), .f64): return .f64(raw)
        default: return value
        }
    }

    /// Widens a payload's flat value to the variant's joined flat type.
    static func widen(_ value: Value, to want: ValueType) -> Value {
        switch (value, want) {
        case (.f32(let raw), .i32): return .i32(raw)
        case (.i32(let raw), .i64): return .i64(UInt64(raw))
        case (.f32(let raw), .i64): return .i64(UInt64(raw))
        case (.f64(let raw), .i64): return .i64(raw)
        default: return value
        }
    }

    /// Lowers one value of `type` to flat core values (strings and lists allocate in the guest).
    static func lowerFlat(_ access: GuestAccess, _ value: ComponentValue, _ type: WITType) throws -> [Value] {
        var flat: [Value] = []
        try lowerFlat(access, value, TypeLayout(type), into: &flat)
        return flat
    }

    /// Lowers one value by its precomputed layout, appending its flat core values to `flat`.
    /// Switches on the layout first, then asks the value for the case it must have (as
    /// `store` does).
    static func lowerFlat(_ access: GuestAccess, _ value: ComponentValue, _ layout: TypeLayout, into flat: inout [Value]) throws {
        switch layout.shape {
        case .scalar(let kind):
            flat.append(try lowerFlatScalar(value, kind))
        case .string:
            guard case .string(let text) = value else { throw mismatch(layout) }
            let (pointer, length) = try storeString(access, text)
            flat.append(.i32(pointer))
            flat.append(.i32(length))
        case .list(let element):
            switch value {
            case .list, .bytes: break
            default: throw mismatch(layout)
            }
            let (pointer, length) = try storeList(access, value, element: element)
            flat.append(.i32(pointer))
            flat.append(.i32(length))
        case .flags(let count):
            guard case .flags(let bits) = value else { throw mismatch(layout) }
            guard count > 0 else { return }
            var raw: UInt32 = 0
            for (index, bit) in bits.enumerated() where bit { raw |= 1 << UInt32(index) }
            flat.append(.i32(raw))
        case .own(let resource):
            guard case .handle(let rep) = value else { throw mismatch(layout) }
            flat.append(.i32(try access.requireHandles().lowerOwn(rep, resource)))
        case .borrow(let resource):
            guard case .handle(let rep) = value else { throw mismatch(layout) }
            flat.append(.i32(try access.requireHandles().lowerBorrow(rep, resource)))
        case .fields(let fields, _):
            let values: [ComponentValue]
            switch value {
            case .record(let items) where layout.isRecord: values = items
            case .tuple(let items) where !layout.isRecord: values = items
            default: throw mismatch(layout)
            }
            for index in 0..<min(values.count, fields.count) { try lowerFlat(access, values[index], fields[index], into: &flat) }
        case .variant(let cases, _, _, let joined):
            let (index, payload) = variantParts(value)
            guard index < cases.count else { throw ComponentError.badArguments("case index \(index) out of range for \(layout.type)") }
            flat.append(.i32(UInt32(index)))
            let start = flat.count
            if let payloadLayout = cases[index], let payload {
                try lowerFlat(access, payload, payloadLayout, into: &flat)
            }
            // The payload's flat values widen to the joined types; the rest of the joined slots are zero.
            var written = 0
            for position in start..<flat.count where written < joined.count {
                flat[position] = widen(flat[position], to: joined[written])
                written += 1
            }
            if flat.count - start > joined.count { flat.removeLast(flat.count - start - joined.count) }
            for want in joined.dropFirst(written) { flat.append(zero(want)) }
        }
    }

    /// Lowers a scalar (bool, integer, float, char) to its one flat core value.
    private static func lowerFlatScalar(_ value: ComponentValue, _ type: ScalarKind) throws -> Value {
        switch (type, value) {
        case (.bool, .bool(let v)): return .i32(v ? 1 : 0)
        case (.s8, .s8(let v)): return .i32(UInt32(bitPattern: Int32(v)))
        case (.u8, .u8(let v)): return .i32(UInt32(v))
        case (.s16, .s16(let v)): return .i32(UInt32(bitPattern: Int32(v)))
        case (.u16, .u16(let v)): return .i32(UInt32(v))
        case (.s32, .s32(let v)): return .i32(UInt32(bitPattern: v))
        case (.u32, .u32(let v)): return .i32(v)
        case (.s64, .s64(let v)): return .i64(UInt64(bitPattern: v))
        case (.u64, .u64(let v)): return .i64(v)
        case (.f32, .f32(let v)): return .f32(bits(v))
        case (.f64, .f64(let v)): return .f64(bits(v))
        case (.char, .char(let v)): return .i32(v.value)
        default: throw ComponentError.badArguments("expected a value of type \(type)")
        }
    }
}
