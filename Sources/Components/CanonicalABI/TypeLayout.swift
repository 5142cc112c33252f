import WasmKit

/// A WIT type with everything the canonical ABI derives from it computed once: size, alignment,
/// flat core types, field offsets, the variant discriminant and payload placement.
///
/// Lifting and lowering walk this tree instead of the bare `WITType`, which would recompute the
/// layout of every nested type for every value that crosses (a `result<descriptor, error-code>`
/// result re-derived its alignment, size and flattening on each host call). A function's
/// layouts are built once, when the component is linked (`FunctionLayout`).
final class TypeLayout: Sendable {
    /// How values of the type are laid out, with the layouts of the types inside it.
    enum Shape: Sendable {
        /// bool, integers, floats and char: one little-endian number.
        case scalar(ScalarKind)
        case string
        case list(element: TypeLayout)
        case flags(count: Int)
        case own(resource: String)
        case borrow(resource: String)
        /// A record or a tuple, field by field.
        case fields([TypeLayout], offsets: [Int])
        /// Variants, enums, options and results: the payload layout per case, the discriminant
        /// width in bytes, where the payload starts, and the joined flat types of the payloads.
        case variant(cases: [TypeLayout?], discriminantSize: Int, payloadOffset: Int, joined: [ValueType])
    }

    let type: WITType
    let shape: Shape
    /// Whether the type is a record (its values are `.record`; a tuple's are `.tuple`).
    let isRecord: Bool
    /// For variants, enums, options and results: which of them.
    let variantKind: VariantKind?
    let size: Int
    let alignment: Int
    /// The core value types one value flattens to (definitions.py `flatten_type`).
    let flat: [ValueType]
    /// How many `GuestAccess.hostBytesPerValue` one value takes on the host: one per
    /// `ComponentValue` it is made of, plus one for the box of each variant, option or result
    /// (their payload is boxed), not counting the elements of lists inside it (those are
    /// charged when they are lifted).
    let valueNodes: Int

    init(_ type: WITType) {
        self.type = type
        if case .record = type { isRecord = true } else { isRecord = false }
        switch type {
        case .variant: variantKind = .variant
        case .enum: variantKind = .enum
        case .option: variantKind = .option
        case .result: variantKind = .result
        default: variantKind = nil
        }
        switch type {
        case .string:
            shape = .string
        case .list(let element):
            shape = .list(element: TypeLayout(element))
        case .flags(_, let names):
            shape = .flags(count: names.count)
        case .own(let resource):
            shape = .own(resource: resource)
        case .borrow(let resource):
            shape = .borrow(resource: resource)
        case .record, .tuple:
            let fields = (CanonicalABI.fieldTypes(type) ?? []).map(TypeLayout.init)
            shape = .fields(fields, offsets: Self.offsets(fields))
        case .variant, .enum, .option, .result:
            let cases = (CanonicalABI.variantCases(type) ?? []).map { $0.map(TypeLayout.init) }
            let maxAlignment = cases.compactMap { $0?.alignment }.max() ?? 1
            let discriminant = CanonicalABI.discriminantSize(cases.count)
            shape = .variant(cases: cases, discriminantSize: discriminant,
                             payloadOffset: CanonicalABI.alignTo(discriminant, maxAlignment),
                             joined: Self.joined(cases.compactMap { $0?.flat }))
        case .bool: shape = .scalar(.bool)
        case .s8: shape = .scalar(.s8)
        case .u8: shape = .scalar(.u8)
        case .s16: shape = .scalar(.s16)
        case .u16: shape = .scalar(.u16)
        case .s32: shape = .scalar(.s32)
        case .u32: shape = .scalar(.u32)
        case .s64: shape = .scalar(.s64)
        case .u64: shape = .scalar(.u64)
        case .f32: shape = .scalar(.f32)
        case .f64: shape = .scalar(.f64)
        case .char: shape = .scalar(.char)
        }
        (size, alignment, flat, valueNodes) = Self.measure(type, shape)
    }

    /// Size, alignment, flat types and value count of a type with `shape` (definitions.py
    /// `elem_size`, `alignment`, `flatten_type`).
    private static func measure(_ type: WITType, _ shape: Shape) -> (Int, Int, [ValueType], Int) {
        switch shape {
        case .scalar:
            return (CanonicalABI.size(type), CanonicalABI.alignment(type), CanonicalABI.flatten(type), 1)
        case .string, .list:
            return (8, 4, [.i32, .i32], 1)
        case .flags(let count):
            let size = CanonicalABI.flagsSize(count)
            return (size, size == 0 ? 1 : min(size, 4), count == 0 ? [] : [.i32], 1)
        case .own, .borrow:
            return (4, 4, [.i32], 1)
        case .fields(let fields, let offsets):
            let alignment = fields.map(\.alignment).max() ?? 1
            let end = fields.last.map { offsets[offsets.count - 1] + $0.size } ?? 0
            return (CanonicalABI.alignTo(end, alignment), alignment, fields.flatMap(\.flat),
                    1 + fields.map(\.valueNodes).reduce(0, +))
        case .variant(let cases, let discriminantSize, let payloadOffset, let joined):
            let alignment = max(discriminantSize, cases.compactMap { $0?.alignment }.max() ?? 1)
            let end = payloadOffset + (cases.compactMap { $0?.size }.max() ?? 0)
            let boxed = Self.isBoxed(type) ? 1 : 0
            return (CanonicalABI.alignTo(end, alignment), alignment, [.i32] + joined,
                    1 + boxed + (cases.compactMap { $0?.valueNodes }.max() ?? 0))
        }
    }

    /// Whether a variant-like type's values box their payload (`ComponentValue`'s indirect
    /// cases): variants, options and results; an enum's case index is stored in place.
    private static func isBoxed(_ type: WITType) -> Bool {
        if case .enum = type { return false }
        return true
    }

    /// Offsets of each field of a record or tuple.
    private static func offsets(_ fields: [TypeLayout]) -> [Int] {
        var offset = 0
        return fields.map { field in
            offset = CanonicalABI.alignTo(offset, field.alignment)
            defer { offset += field.size }
            return offset
        }
    }

    /// The flat types of overlapping variant payloads, joined position by position.
    private static func joined(_ payloads: [[ValueType]]) -> [ValueType] {
        var flat: [ValueType] = []
        for payload in payloads {
            for (index, flatType) in payload.enumerated() {
                if index < flat.count { flat[index] = CanonicalABI.join(flat[index], flatType) } else { flat.append(flatType) }
            }
        }
        return flat
    }

    /// Whether values are stored as one little-endian number (or byte) that owns nothing.
    var isScalar: Bool { scalar != nil }

    /// The scalar kind of a scalar type; nil for every other type.
    var scalar: ScalarKind? {
        if case .scalar(let kind) = shape { return kind }
        return nil
    }
}

/// The layouts of one component function's parameters and results, built once when the
/// function is linked and reused by every call through it.
struct FunctionLayout: Sendable {
    let params: [TypeLayout]
    let results: [TypeLayout]
    /// The parameters as one tuple: how they are laid out when passed through memory.
    let paramTuple: TypeLayout
    /// The results as one tuple: how they are laid out behind a return pointer.
    let resultTuple: TypeLayout
    /// How many core values the parameters and the results flatten to.
    let flatParamCount: Int
    let flatResultCount: Int

    init(_ type: WITFunctionType) {
        params = type.params.map { TypeLayout($0.type) }
        results = type.results.map { TypeLayout($0.type) }
        paramTuple = TypeLayout(.tuple(type.params.map(\.type)))
        resultTuple = TypeLayout(.tuple(type.results.map(\.type)))
        flatParamCount = paramTuple.flat.count
        flatResultCount = resultTuple.flat.count
    }
}
