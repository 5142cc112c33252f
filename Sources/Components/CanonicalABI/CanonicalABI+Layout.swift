import WasmKit

/// The Canonical ABI (CanonicalABI.md / definitions.py): how component values are laid out in
/// linear memory and flattened into core values. This file: sizes, alignments, flattening.
enum CanonicalABI {
    static let maxFlatParams = 16
    static let maxFlatResults = 1

    /// Variants, enums, options and results all lower as a variant: the payload types per case.
    static func variantCases(_ type: WITType) -> [WITType?]? {
        switch type {
        case .variant(_, let cases): return cases.map(\.type)
        case .enum(_, let cases): return Array(repeating: nil, count: cases.count)
        case .option(let inner): return [nil, inner]
        case .result(let ok, let err): return [ok, err]
        default: return nil
        }
    }

    /// Record-like types: records and tuples are laid out field by field.
    static func fieldTypes(_ type: WITType) -> [WITType]? {
        switch type {
        case .record(_, let fields): return fields.map(\.type)
        case .tuple(let elements): return elements
        default: return nil
        }
    }

    /// The discriminant width for `count` cases: u8, u16 or u32 (as byte size).
    static func discriminantSize(_ count: Int) -> Int {
        count <= 1 << 8 ? 1 : (count <= 1 << 16 ? 2 : 4)
    }

    static func alignment(_ type: WITType) -> Int {
        switch type {
        case .bool, .s8, .u8: return 1
        case .s16, .u16: return 2
        case .s32, .u32, .f32, .char, .own, .borrow: return 4
        case .s64, .u64, .f64: return 8
        case .string, .list: return 4
        case .flags(_, let names): return flagsSize(names.count) == 0 ? 1 : min(flagsSize(names.count), 4)
        default:
            if let fields = fieldTypes(type) { return fields.map(alignment).max() ?? 1 }
            let cases = variantCases(type) ?? []
            return max(discriminantSize(cases.count), maxCaseAlignment(cases))
        }
    }

    static func maxCaseAlignment(_ cases: [WITType?]) -> Int {
        cases.compactMap { $0.map(alignment) }.max() ?? 1
    }

    static func flagsSize(_ count: Int) -> Int {
        count == 0 ? 0 : (count <= 8 ? 1 : (count <= 16 ? 2 : 4))
    }

    static func alignTo(_ offset: Int, _ alignment: Int) -> Int {
        (offset + alignment - 1) / alignment * alignment
    }

    static func size(_ type: WITType) -> Int {
        switch type {
        case .bool, .s8, .u8: return 1
        case .s16, .u16: return 2
        case .s32, .u32, .f32, .char, .own, .borrow: return 4
        case .s64, .u64, .f64: return 8
        case .string, .list: return 8
        case .flags(_, let names): return flagsSize(names.count)
        default:
            if let fields = fieldTypes(type) {
                var offset = 0
                for field in fields {
                    offset = alignTo(offset, alignment(field)) + size(field)
                }
                return alignTo(offset, alignment(type))
            }
            let cases = variantCases(type) ?? []
            var offset = alignTo(discriminantSize(cases.count), maxCaseAlignment(cases))
            offset += cases.compactMap { $0.map(size) }.max() ?? 0
            return alignTo(offset, alignment(type))
        }
    }

    /// Offsets of each field of a record or tuple.
    static func fieldOffsets(_ fields: [WITType]) -> [Int] {
        var offset = 0
        return fields.map { field in
            offset = alignTo(offset, alignment(field))
            defer { offset += size(field) }
            return offset
        }
    }

    /// Offset of a variant's payload.
    static func payloadOffset(_ cases: [WITType?]) -> Int {
        alignTo(discriminantSize(cases.count), maxCaseAlignment(cases))
    }

    /// Joins two flat types of overlapping variant payloads.
    static func join(_ a: ValueType, _ b: ValueType) -> ValueType {
        if a == b { return a }
        if (a == .i32 && b == .f32) || (a == .f32 && b == .i32) { return .i32 }
        return .i64
    }

    /// The core value types one value of `type` flattens to.
    static func flatten(_ type: WITType) -> [ValueType] {
        switch type {
        case .bool, .s8, .u8, .s16, .u16, .s32, .u32, .char, .own, .borrow: return [.i32]
        case .s64, .u64: return [.i64]
        case .f32: return [.f32]
        case .f64: return [.f64]
        case .string, .list: return [.i32, .i32]
        case .flags(_, let names): return names.isEmpty ? [] : [.i32]
        default:
            if let fields = fieldTypes(type) { return fields.flatMap(flatten) }
            let cases = variantCases(type) ?? []
            var flat: [ValueType] = []
            for payload in cases.compactMap({ $0 }) {
                for (index, flatType) in flatten(payload).enumerated() {
                    if index < flat.count { flat[index] = join(flat[index], flatType) } else { flat.append(flatType) }
                }
            }
            return [.i32] + flat
        }
    }

    /// Whether a type contains strings or lists (and so needs `memory`, and `realloc` to lower).
    static func needsMemory(_ type: WITType) -> Bool {
        switch type {
        case .string, .list: return true
        default:
            if let fields = fieldTypes(type) { return fields.contains(where: needsMemory) }
            if let cases = variantCases(type) { return cases.contains { $0.map(needsMemory) ?? false } }
            return false
        }
    }

    /// The core signature of a function with this WIT type: `lifting` (an export we call) or
    /// lowering (a host import the guest calls, results through a pointer parameter).
    static func coreSignature(_ type: WITFunctionType, lifting: Bool) -> (params: [ValueType], results: [ValueType]) {
        var params = type.params.flatMap { flatten($0.type) }
        if params.count > maxFlatParams { params = [.i32] }
        var results = type.results.flatMap { flatten($0.type) }
        if results.count > maxFlatResults {
            if lifting { results = [.i32] } else { params.append(.i32); results = [] }
        }
        return (params, results)
    }

    /// Validates that the canonical options supply what lifting/lowering this type needs.
    static func checkOptions(_ options: CanonOptions, type: WITFunctionType, lifting: Bool, _ context: String) throws {
        let params = type.params.map(\.type)
        let results = type.results.map(\.type)
        let flatParams = params.flatMap(flatten).count
        let flatResults = results.flatMap(flatten).count
        let anyMemory = (params + results).contains(where: needsMemory) || flatParams > maxFlatParams || flatResults > maxFlatResults
        if anyMemory && options.memory == nil {
            throw ComponentError.malformed("\(context): a function of type (\(params.map(\.description).joined(separator: ", "))) needs the memory option")
        }
        // Values written into the guest: parameters of a lifted export, results of a lowered import.
        let written = lifting ? params : results
        if (written.contains(where: needsMemory) || (lifting && flatParams > maxFlatParams)) && options.realloc == nil {
            throw ComponentError.malformed("\(context): passing strings or lists into the guest needs the realloc option")
        }
        // Borrows only flow into a call: a result carrying one could outlive its lender.
        if let borrowing = results.first(where: containsBorrow) {
            throw ComponentError.malformed("\(context): a function result of type \(borrowing) contains a borrow handle")
        }
        if !lifting && options.postReturn != nil {
            throw ComponentError.malformed("\(context): post-return is only allowed on canon lift")
        }
    }

    /// Whether `type` contains a `borrow<R>` anywhere.
    static func containsBorrow(_ type: WITType) -> Bool {
        switch type {
        case .borrow: return true
        case .list(let element), .option(let element): return containsBorrow(element)
        case .record(_, let fields): return fields.contains { containsBorrow($0.type) }
        case .tuple(let elements): return elements.contains(where: containsBorrow)
        case .variant(_, let cases): return cases.contains { $0.type.map(containsBorrow) ?? false }
        case .result(let ok, let err): return (ok.map(containsBorrow) ?? false) || (err.map(containsBorrow) ?? false)
        default: return false
        }
    }
}
