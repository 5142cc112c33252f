import Foundation
import Components

/// The deterministic host-import behaviour, identical to `transform`/`host_function` in
/// `Guests/wasmtime_oracle.py`: a transform rather than an echo, so a value the component layer
/// lifted or lowered with the wrong type or field order shows up as a different result.
enum HostTransform {
    struct Unsupported: Error, CustomStringConvertible { var description: String }

    /// bool → not, integers → +1 wrapping, floats → negated, char → next scalar, string → scalars
    /// reversed, list → reversed and each transformed, enum → next case, flags → complement;
    /// records, tuples and variant payloads transform their parts.
    static func transform(_ value: ComponentValue, _ type: WITType) throws -> ComponentValue {
        switch (value, type) {
        case (.bool(let b), .bool): return .bool(!b)
        case (.u8(let v), .u8): return .u8(v &+ 1)
        case (.s8(let v), .s8): return .s8(v &+ 1)
        case (.u16(let v), .u16): return .u16(v &+ 1)
        case (.s16(let v), .s16): return .s16(v &+ 1)
        case (.u32(let v), .u32): return .u32(v &+ 1)
        case (.s32(let v), .s32): return .s32(v &+ 1)
        case (.u64(let v), .u64): return .u64(v &+ 1)
        case (.s64(let v), .s64): return .s64(v &+ 1)
        case (.f32(let v), .f32): return .f32(-v)
        case (.f64(let v), .f64): return .f64(-v)
        case (.char(let c), .char):
            let next = c.value + 1
            return .char(Unicode.Scalar(next == 0xD800 ? 0xE000 : next > 0x10FFFF ? 0 : next)!)
        case (.string(let s), .string):
            var reversed = String.UnicodeScalarView()
            reversed.append(contentsOf: s.unicodeScalars.reversed())
            return .string(String(reversed))
        case (.bytes(let bytes), .list):
            return try transform(.list(bytes.map(ComponentValue.u8)), type)
        case (.list(let items), .list(let element)):
            return .list(try items.reversed().map { try transform($0, element) })
        case (.record(let fields), .record(_, let types)) where fields.count == types.count:
            return .record(try zip(fields, types).map { try transform($0, $1.type) })
        case (.tuple(let items), .tuple(let types)) where items.count == types.count:
            return .tuple(try zip(items, types).map { try transform($0, $1) })
        case (.variant(let index, let payload), .variant(_, let cases)) where cases.indices.contains(index):
            return .variant(caseIndex: index, payload: try transformPayload(payload, cases[index].type))
        case (.enum(let index), .enum(_, let cases)):
            return .enum(caseIndex: (index + 1) % cases.count)
        case (.option(let inner), .option(let payloadType)):
            return .option(try inner.map { try transform($0, payloadType) })
        case (.result(let isError, let payload), .result(let ok, let err)):
            return .result(isError: isError, payload: try transformPayload(payload, isError ? err : ok))
        case (.flags(let bits), .flags):
            return .flags(bits.map { !$0 })
        default:
            throw Unsupported(description: "host transform: value \(value) does not have type \(type)")
        }
    }

    private static func transformPayload(_ payload: ComponentValue?, _ type: WITType?) throws -> ComponentValue? {
        switch (payload, type) {
        case (nil, _): return nil
        case (let value?, let type?): return try transform(value, type)
        case (_?, nil): throw Unsupported(description: "payload for a case without one")
        }
    }

    /// What the host function for an import of this signature answers.
    static func answer(_ name: String, _ signature: WITFunctionType, _ arguments: [ComponentValue]) throws -> [ComponentValue] {
        let params = signature.params.map(\.type)
        guard let result = signature.results.first?.type else { return [] }
        if params.count == 1, params[0] == result, arguments.count == 1 {
            return [try transform(arguments[0], result)]
        }
        if case .tuple(let elements) = result, elements == params, arguments.count == params.count {
            return [.tuple(try zip(arguments, params).map { try transform($0, $1) })]
        }
        throw ComponentError.trap("host function \(name): no transform for this signature")
    }

    /// The host function for an import of this signature.
    static func function(_ name: String, _ signature: WITFunctionType) -> HostFunction {
        HostFunction { arguments in try answer(name, signature, arguments) }
    }

    /// Host imports for functions named `instance/function` (the oracle's and our naming).
    static func imports(_ signatures: [String: WITFunctionType]) -> HostImports {
        var imports = HostImports()
        for (fullName, signature) in signatures {
            if let slash = fullName.lastIndex(of: "/") {
                let instance = String(fullName[..<slash]), function = String(fullName[fullName.index(after: slash)...])
                imports.define(instance: instance, function: function, Self.function(fullName, signature))
            } else {
                imports.define(function: fullName, Self.function(fullName, signature))
            }
        }
        return imports
    }
}

/// Values for a WIT type: neutral defaults (for the fuzzer) and seeded random ones with edge cases.
enum ValueFactory {
    static func defaultValue(for type: WITType) -> ComponentValue {
        switch type {
        case .bool: return .bool(false)
        case .s8: return .s8(0)
        case .u8: return .u8(0)
        case .s16: return .s16(0)
        case .u16: return .u16(0)
        case .s32: return .s32(0)
        case .u32: return .u32(0)
        case .s64: return .s64(0)
        case .u64: return .u64(0)
        case .f32: return .f32(0)
        case .f64: return .f64(0)
        case .char: return .char("a")
        case .string: return .string("")
        case .list: return .list([])
        case .record(_, let fields): return .record(fields.map { defaultValue(for: $0.type) })
        case .tuple(let types): return .tuple(types.map(defaultValue(for:)))
        case .variant(_, let cases): return .variant(caseIndex: 0, payload: cases.first?.type.map(defaultValue(for:)))
        case .enum: return .enum(caseIndex: 0)
        case .option: return .option(nil)
        case .result(let ok, _): return .result(isError: false, payload: ok.map(defaultValue(for:)))
        case .flags(_, let names): return .flags(names.map { _ in false })
        case .own, .borrow: return .handle(0)
        }
    }

    static let specialScalars: [Unicode.Scalar] = ["a", "\0", "\"", "\\", "\n", "\u{7F}", "é", "ß", "日", "🦀", "\u{FFFD}", "\u{D7FF}", "\u{E000}", "\u{10FFFF}", "\u{1F}"]
    static let specialF64: [Double] = [.nan, -.nan, .infinity, -.infinity, 0, -0.0, .greatestFiniteMagnitude, .leastNonzeroMagnitude, .leastNormalMagnitude, 1.5, -2.25, .pi]
    static let specialF32: [Float] = [.nan, -.nan, .infinity, -.infinity, 0, -0.0, .greatestFiniteMagnitude, .leastNonzeroMagnitude, .leastNormalMagnitude, 1.5, -2.25, .pi]

    static func random(for type: WITType, _ rng: inout SeededRandom, depth: Int = 0) -> ComponentValue {
        func int<T: FixedWidthInteger>(_: T.Type) -> T {
            if rng.oneIn(3) { return [T.min, T.max, 0, T(truncatingIfNeeded: -1), 1][rng.below(5)] }
            return T(truncatingIfNeeded: rng.next())
        }
        let count = depth > 2 ? rng.below(2) : rng.below(5)
        switch type {
        case .bool: return .bool(rng.oneIn(2))
        case .s8: return .s8(int(Int8.self))
        case .u8: return .u8(int(UInt8.self))
        case .s16: return .s16(int(Int16.self))
        case .u16: return .u16(int(UInt16.self))
        case .s32: return .s32(int(Int32.self))
        case .u32: return .u32(int(UInt32.self))
        case .s64: return .s64(int(Int64.self))
        case .u64: return .u64(int(UInt64.self))
        case .f32:
            return .f32(rng.oneIn(2) ? specialF32[rng.below(specialF32.count)] : Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())))
        case .f64:
            return .f64(rng.oneIn(2) ? specialF64[rng.below(specialF64.count)] : Double(bitPattern: rng.next()))
        case .char: return .char(randomScalar(&rng))
        case .string:
            var s = String.UnicodeScalarView()
            for _ in 0..<(rng.oneIn(6) ? 0 : rng.below(12)) { s.append(randomScalar(&rng)) }
            return .string(String(s))
        case .list(let element):
            let items = (0..<count).map { _ in random(for: element, &rng, depth: depth + 1) }
            // Both spellings of a list<u8> (without drawing from the generator, so the values stay the same).
            if element == .u8, count % 2 == 0, let bytes = ComponentValue.list(items).byteList { return .bytes(bytes) }
            return .list(items)
        case .record(_, let fields): return .record(fields.map { random(for: $0.type, &rng, depth: depth + 1) })
        case .tuple(let types): return .tuple(types.map { random(for: $0, &rng, depth: depth + 1) })
        case .variant(_, let cases):
            let index = rng.below(cases.count)
            return .variant(caseIndex: index, payload: cases[index].type.map { random(for: $0, &rng, depth: depth + 1) })
        case .enum(_, let cases): return .enum(caseIndex: rng.below(cases.count))
        case .option(let inner): return .option(rng.oneIn(3) ? nil : random(for: inner, &rng, depth: depth + 1))
        case .result(let ok, let err):
            let isError = rng.oneIn(2)
            return .result(isError: isError, payload: (isError ? err : ok).map { random(for: $0, &rng, depth: depth + 1) })
        case .flags(_, let names): return .flags(names.map { _ in rng.oneIn(2) })
        case .own, .borrow: return .handle(0)
        }
    }

    static func randomScalar(_ rng: inout SeededRandom) -> Unicode.Scalar {
        if rng.oneIn(2) { return specialScalars[rng.below(specialScalars.count)] }
        if rng.oneIn(2) { return Unicode.Scalar(UInt8(0x20 + rng.below(0x5F))) }
        while true {
            if let s = Unicode.Scalar(UInt32(rng.below(0x110000))) { return s }
        }
    }
}
