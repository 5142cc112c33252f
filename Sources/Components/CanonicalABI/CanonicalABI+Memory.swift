import WasmKit

// Loading component values from, and storing them into, linear memory (definitions.py `load` /
// `store`). Values passed here to `store` were checked against their type first
// (`CanonicalABI.check`); a mismatch that slips through is reported as bad arguments.

extension CanonicalABI {
    /// The canonical NaN bit patterns (the spec canonicalises NaNs crossing the boundary).
    static let canonicalNaN32: UInt32 = 0x7fc0_0000
    static let canonicalNaN64: UInt64 = 0x7ff8_0000_0000_0000

    static func float32(bits: UInt32) -> Float {
        let value = Float(bitPattern: bits)
        return value.isNaN ? Float(bitPattern: canonicalNaN32) : value
    }

    static func float64(bits: UInt64) -> Double {
        let value = Double(bitPattern: bits)
        return value.isNaN ? Double(bitPattern: canonicalNaN64) : value
    }

    static func bits(_ value: Float) -> UInt32 { value.isNaN ? canonicalNaN32 : value.bitPattern }
    static func bits(_ value: Double) -> UInt64 { value.isNaN ? canonicalNaN64 : value.bitPattern }

    /// Validates a char code point from the guest.
    static func char(_ code: UInt32) throws -> Unicode.Scalar {
        guard let scalar = Unicode.Scalar(code) else {
            throw ComponentError.trap("invalid char: 0x\(String(code, radix: 16)) is not a Unicode scalar value")
        }
        return scalar
    }

    /// Loads one value of `type` at `pointer`.
    static func load(_ access: GuestAccess, _ type: WITType, at pointer: Int) throws -> ComponentValue {
        func int(_ size: Int) throws -> UInt64 { try access.load(pointer, size: size, "\(type) value") }
        switch type {
        case .bool: return .bool(try int(1) != 0)
        case .s8: return .s8(Int8(truncatingIfNeeded: try int(1)))
        case .u8: return .u8(UInt8(truncatingIfNeeded: try int(1)))
        case .s16: return .s16(Int16(truncatingIfNeeded: try int(2)))
        case .u16: return .u16(UInt16(truncatingIfNeeded: try int(2)))
        case .s32: return .s32(Int32(truncatingIfNeeded: try int(4)))
        case .u32: return .u32(UInt32(truncatingIfNeeded: try int(4)))
        case .s64: return .s64(Int64(bitPattern: try int(8)))
        case .u64: return .u64(try int(8))
        case .f32: return .f32(float32(bits: UInt32(truncatingIfNeeded: try int(4))))
        case .f64: return .f64(float64(bits: try int(8)))
        case .char: return .char(try char(UInt32(truncatingIfNeeded: try int(4))))
        case .string:
            let begin = UInt32(truncatingIfNeeded: try int(4))
            let length = UInt32(truncatingIfNeeded: try access.load(pointer + 4, size: 4, "string length"))
            return try loadString(access, pointer: begin, length: length)
        case .list(let element):
            let begin = UInt32(truncatingIfNeeded: try int(4))
            let length = UInt32(truncatingIfNeeded: try access.load(pointer + 4, size: 4, "list length"))
            return try loadList(access, element: element, pointer: begin, length: length)
        case .flags(_, let names):
            let raw = names.isEmpty ? 0 : try int(flagsSize(names.count))
            return .flags((0..<names.count).map { raw >> UInt64($0) & 1 == 1 })
        case .own(let resource): return .handle(try access.requireHandles().liftOwn(UInt32(truncatingIfNeeded: try int(4)), resource))
        case .borrow(let resource): return .handle(try access.requireHandles().liftBorrow(UInt32(truncatingIfNeeded: try int(4)), resource))
        case .record, .tuple:
            let fields = fieldTypes(type) ?? []
            let values = try zip(fields, fieldOffsets(fields)).map { try load(access, $0.0, at: pointer + $0.1) }
            if case .record = type { return .record(values) }
            return .tuple(values)
        case .variant, .enum, .option, .result:
            let cases = variantCases(type) ?? []
            let discriminant = Int(try int(discriminantSize(cases.count)))
            guard discriminant < cases.count else {
                throw ComponentError.trap("invalid \(type) discriminant \(discriminant) (\(cases.count) cases)")
            }
            let payload = try cases[discriminant].map { try load(access, $0, at: pointer + payloadOffset(cases)) }
            return makeVariant(type, discriminant, payload)
        }
    }

    /// Builds the `ComponentValue` of a variant-like type from its case index and payload.
    static func makeVariant(_ type: WITType, _ index: Int, _ payload: ComponentValue?) -> ComponentValue {
        switch type {
        case .enum: return .enum(caseIndex: index)
        case .option: return .option(index == 0 ? nil : payload)
        case .result: return .result(isError: index == 1, payload: payload)
        default: return .variant(caseIndex: index, payload: payload)
        }
    }

    /// The case index and payload of a variant-like value (already type-checked).
    static func variantParts(_ value: ComponentValue) -> (Int, ComponentValue?) {
        switch value {
        case .enum(let index): return (index, nil)
        case .option(let payload): return (payload == nil ? 0 : 1, payload)
        case .result(let isError, let payload): return (isError ? 1 : 0, payload)
        case .variant(let index, let payload): return (index, payload)
        default: return (0, nil)
        }
    }

    /// Stores one value of `type` at `pointer`.
    static func store(_ access: GuestAccess, _ value: ComponentValue, _ type: WITType, at pointer: Int) throws {
        func put(_ size: Int, _ raw: UInt64) throws { try access.store(pointer, size: size, raw, "\(type) value") }
        switch (type, value) {
        case (.bool, .bool(let v)): try put(1, v ? 1 : 0)
        case (.s8, .s8(let v)): try put(1, UInt64(UInt8(bitPattern: v)))
        case (.u8, .u8(let v)): try put(1, UInt64(v))
        case (.s16, .s16(let v)): try put(2, UInt64(UInt16(bitPattern: v)))
        case (.u16, .u16(let v)): try put(2, UInt64(v))
        case (.s32, .s32(let v)): try put(4, UInt64(UInt32(bitPattern: v)))
        case (.u32, .u32(let v)): try put(4, UInt64(v))
        case (.s64, .s64(let v)): try put(8, UInt64(bitPattern: v))
        case (.u64, .u64(let v)): try put(8, v)
        case (.f32, .f32(let v)): try put(4, UInt64(bits(v)))
        case (.f64, .f64(let v)): try put(8, bits(v))
        case (.char, .char(let v)): try put(4, UInt64(v.value))
        case (.string, .string(let v)):
            let (begin, length) = try storeString(access, v)
            try put(4, UInt64(begin))
            try access.store(pointer + 4, size: 4, UInt64(length), "string length")
        case (.list(let element), .list), (.list(let element), .bytes):
            let (begin, length) = try storeList(access, value, element: element)
            try put(4, UInt64(begin))
            try access.store(pointer + 4, size: 4, UInt64(length), "list length")
        case (.flags(_, let names), .flags(let bits)):
            guard !names.isEmpty else { return }
            var raw: UInt64 = 0
            for (index, bit) in bits.enumerated() where bit { raw |= 1 << UInt64(index) }
            try put(flagsSize(names.count), raw)
        case (.own(let resource), .handle(let rep)): try put(4, UInt64(try access.requireHandles().lowerOwn(rep, resource)))
        case (.borrow(let resource), .handle(let rep)): try put(4, UInt64(try access.requireHandles().lowerBorrow(rep, resource)))
        case (.record(_, let fields), .record(let values)):
            let types = fields.map(\.type)
            for (offset, (fieldValue, fieldType)) in zip(fieldOffsets(types), zip(values, types)) {
                try store(access, fieldValue, fieldType, at: pointer + offset)
            }
        case (.tuple(let types), .tuple(let values)):
            for (offset, (fieldValue, fieldType)) in zip(fieldOffsets(types), zip(values, types)) {
                try store(access, fieldValue, fieldType, at: pointer + offset)
            }
        case (.variant, _), (.enum, _), (.option, _), (.result, _):
            let cases = variantCases(type) ?? []
            let (index, payload) = variantParts(value)
            guard index < cases.count else { throw ComponentError.badArguments("case index \(index) out of range for \(type)") }
            try put(discriminantSize(cases.count), UInt64(index))
            if let payloadType = cases[index], let payload {
                try store(access, payload, payloadType, at: pointer + payloadOffset(cases))
            }
        default:
            throw ComponentError.badArguments("expected a value of type \(type)")
        }
    }
}
