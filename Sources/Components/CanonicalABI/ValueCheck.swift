extension ComponentValue {
    /// Whether this value has the shape of `type` (recursively), so lowering cannot fail on it.
    func matches(_ type: WITType) -> Bool {
        switch (type, self) {
        case (.bool, .bool), (.s8, .s8), (.u8, .u8), (.s16, .s16), (.u16, .u16),
             (.s32, .s32), (.u32, .u32), (.s64, .s64), (.u64, .u64),
             (.f32, .f32), (.f64, .f64), (.char, .char), (.string, .string),
             (.own, .handle), (.borrow, .handle):
            return true
        case (.list(let element), .list(let items)):
            return items.allSatisfy { $0.matches(element) }
        case (.list(.u8), .bytes):
            return true
        case (.record(_, let fields), .record(let values)):
            return fields.count == values.count && zip(values, fields).allSatisfy { $0.0.matches($0.1.type) }
        case (.tuple(let types), .tuple(let values)):
            return types.count == values.count && zip(values, types).allSatisfy { $0.0.matches($0.1) }
        case (.flags(_, let names), .flags(let bits)):
            return names.count == bits.count
        case (.enum(_, let cases), .enum(let index)):
            return index >= 0 && index < cases.count
        case (.variant(_, let cases), .variant(let index, let payload)):
            guard index >= 0, index < cases.count else { return false }
            return Self.payload(payload, matches: cases[index].type)
        case (.option(let inner), .option(let payload)):
            return payload.map { $0.matches(inner) } ?? true
        case (.result(let ok, let err), .result(let isError, let payload)):
            return Self.payload(payload, matches: isError ? err : ok)
        default:
            return false
        }
    }

    private static func payload(_ payload: ComponentValue?, matches type: WITType?) -> Bool {
        switch (payload, type) {
        case (nil, nil): return true
        case (let value?, let type?): return value.matches(type)
        default: return false
        }
    }
}

extension ComponentValue {
    /// Whether this value has the shape of the type `layout` lays out (recursively): the same
    /// answer as `matches(layout.type)`, walking the precomputed layout instead of the type.
    func matches(_ layout: TypeLayout) -> Bool {
        switch layout.shape {
        case .scalar(let kind):
            return kind.matches(self)
        case .string:
            if case .string = self { return true }
            return false
        case .own, .borrow:
            if case .handle = self { return true }
            return false
        case .list(let element):
            switch self {
            case .list(let items): return items.allSatisfy { $0.matches(element) }
            case .bytes: return element.scalar == .u8
            default: return false
            }
        case .fields(let fields, _):
            let values: [ComponentValue]
            switch self {
            case .record(let items) where layout.isRecord: values = items
            case .tuple(let items) where !layout.isRecord: values = items
            default: return false
            }
            guard fields.count == values.count else { return false }
            for index in 0..<fields.count where !values[index].matches(fields[index]) { return false }
            return true
        case .flags(let count):
            if case .flags(let bits) = self { return count == bits.count }
            return false
        case .variant(let cases, _, _, _):
            return Self.matches(self, variant: layout.variantKind, cases)
        }
    }

    /// Whether `value` is a value of the variant-like type with these payload layouts.
    private static func matches(_ value: ComponentValue, variant kind: VariantKind?, _ cases: [TypeLayout?]) -> Bool {
        switch (kind, value) {
        case (.enum, .enum(let index)):
            return index >= 0 && index < cases.count
        case (.variant, .variant(let index, let payload)):
            guard index >= 0, index < cases.count else { return false }
            return Self.payload(payload, matches: cases[index])
        case (.option, .option(let payload)):
            return Self.payload(payload, matches: payload == nil ? nil : cases[1])
        case (.result, .result(let isError, let payload)):
            return Self.payload(payload, matches: cases[isError ? 1 : 0])
        default:
            return false
        }
    }

    private static func payload(_ payload: ComponentValue?, matches layout: TypeLayout?) -> Bool {
        switch (payload, layout) {
        case (nil, nil): return true
        case (let value?, let layout?): return value.matches(layout)
        default: return false
        }
    }
}
