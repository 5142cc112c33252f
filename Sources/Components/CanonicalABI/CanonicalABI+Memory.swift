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
        try load(access, TypeLayout(type), at: pointer)
    }

    /// Loads one value at `pointer`, by its precomputed layout.
    static func load(_ access: GuestAccess, _ layout: TypeLayout, at pointer: Int) throws -> ComponentValue {
        func int(_ size: Int) throws -> UInt64 { try access.load(pointer, size: size, "\(layout.type) value") }
        switch layout.shape {
        case .scalar(let kind):
            return try access.withBytes(pointer, layout.size, "\(layout.type) value") { try decodeScalar(kind, $0, at: 0) }
        case .string:
            let begin = UInt32(truncatingIfNeeded: try int(4))
            let length = UInt32(truncatingIfNeeded: try access.load(pointer + 4, size: 4, "string length"))
            return try loadString(access, pointer: begin, length: length)
        case .list(let element):
            let begin = UInt32(truncatingIfNeeded: try int(4))
            let length = UInt32(truncatingIfNeeded: try access.load(pointer + 4, size: 4, "list length"))
            return try loadList(access, element: element, pointer: begin, length: length)
        case .flags(let count):
            let raw = count == 0 ? 0 : try int(layout.size)
            return .flags((0..<count).map { raw >> UInt64($0) & 1 == 1 })
        case .own(let resource): return .handle(try access.requireHandles().liftOwn(UInt32(truncatingIfNeeded: try int(4)), resource))
        case .borrow(let resource): return .handle(try access.requireHandles().liftBorrow(UInt32(truncatingIfNeeded: try int(4)), resource))
        case .fields(let fields, let offsets):
            var values: [ComponentValue] = []
            values.reserveCapacity(fields.count)
            for (field, offset) in zip(fields, offsets) { values.append(try load(access, field, at: pointer + offset)) }
            return layout.isRecord ? .record(values) : .tuple(values)
        case .variant(let cases, let discriminantSize, let payloadOffset, _):
            let discriminant = Int(try int(discriminantSize))
            guard discriminant < cases.count else {
                throw ComponentError.trap("invalid \(layout.type) discriminant \(discriminant) (\(cases.count) cases)")
            }
            let payload = try cases[discriminant].map { try load(access, $0, at: pointer + payloadOffset) }
            return makeVariant(layout, discriminant, payload)
        }
    }

    /// Builds the `ComponentValue` of a variant-like type from its case index and payload.
    static func makeVariant(_ layout: TypeLayout, _ index: Int, _ payload: ComponentValue?) -> ComponentValue {
        switch layout.variantKind {
        case .enum: return .enum(caseIndex: index)
        case .option: return .option(index == 0 ? nil : payload)
        case .result: return .result(isError: index == 1, payload: payload)
        case .variant, nil: return .variant(caseIndex: index, payload: payload)
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
        try store(access, value, TypeLayout(type), at: pointer)
    }

    /// Stores one value at `pointer`, by its precomputed layout. Switches on the layout first
    /// and then asks the value for the one case it must have: matching the pair at once copied
    /// both (and retained their payloads) for every value stored.
    static func store(_ access: GuestAccess, _ value: ComponentValue, _ layout: TypeLayout, at pointer: Int) throws {
        switch layout.shape {
        case .scalar(let kind):
            var raw: UInt64 = 0
            try withUnsafeMutableBytes(of: &raw) { try encodeScalar(value, kind, into: $0, at: 0) }
            try access.store(pointer, size: layout.size, UInt64(littleEndian: raw), valueOf: layout)
        case .string:
            guard case .string(let text) = value else { throw mismatch(layout) }
            let (begin, length) = try storeString(access, text)
            try access.store(pointer, size: 8, UInt64(begin) | UInt64(length) << 32, valueOf: layout)
        case .list(let element):
            switch value {
            case .list, .bytes: break
            default: throw mismatch(layout)
            }
            let (begin, length) = try storeList(access, value, element: element)
            try access.store(pointer, size: 8, UInt64(begin) | UInt64(length) << 32, valueOf: layout)
        case .flags(let count):
            guard case .flags(let bits) = value else { throw mismatch(layout) }
            guard count > 0 else { return }
            var raw: UInt64 = 0
            for (index, bit) in bits.enumerated() where bit { raw |= 1 << UInt64(index) }
            try access.store(pointer, size: layout.size, raw, valueOf: layout)
        case .own(let resource):
            guard case .handle(let rep) = value else { throw mismatch(layout) }
            try access.store(pointer, size: 4, UInt64(try access.requireHandles().lowerOwn(rep, resource)), valueOf: layout)
        case .borrow(let resource):
            guard case .handle(let rep) = value else { throw mismatch(layout) }
            try access.store(pointer, size: 4, UInt64(try access.requireHandles().lowerBorrow(rep, resource)), valueOf: layout)
        case .fields(let fields, let offsets):
            let values: [ComponentValue]
            switch value {
            case .record(let items) where layout.isRecord: values = items
            case .tuple(let items) where !layout.isRecord: values = items
            default: throw mismatch(layout)
            }
            for index in 0..<min(values.count, fields.count) {
                try store(access, values[index], fields[index], at: pointer + offsets[index])
            }
        case .variant(let cases, let discriminantSize, let payloadOffset, _):
            let (index, payload) = variantParts(value)
            guard index < cases.count else { throw ComponentError.badArguments("case index \(index) out of range for \(layout.type)") }
            try access.store(pointer, size: discriminantSize, UInt64(index), valueOf: layout)
            if let payloadLayout = cases[index], let payload {
                try store(access, payload, payloadLayout, at: pointer + payloadOffset)
            }
        }
    }

    /// The error for a value that does not have the shape of `layout`'s type (values are
    /// checked before they are lowered; this reports one that slipped through).
    static func mismatch(_ layout: TypeLayout) -> ComponentError {
        .badArguments("expected a value of type \(layout.type)")
    }
}
