import Components
import EnclaveProtocol

/// Integer parameters: JSON integers (or decimal strings, which clients use for 64-bit values
/// beyond 2^53), with the WIT type's range enforced.
enum IntegerDecoding {
    static func decode(_ json: JSON, as type: WITType, fail: (String) -> TypedValueError) throws(TypedValueError) -> ComponentValue {
        let number: JSONNumber
        switch json {
        case .number(let n): number = n
        case .string(let s):
            guard let parsed = try? JSON.parse(Array(s.utf8)), let n = parsed.numberValue, n.isInteger else {
                throw fail("got a string that is not an integer")
            }
            number = n
        default: throw fail("got \(TypedValueDecoder.kind(json))")
        }
        guard number.isInteger || number.int64 != nil || number.uint64 != nil else {
            throw fail("got the non-integer \(number.text)")
        }
        func signed(_ range: ClosedRange<Int64>) throws(TypedValueError) -> Int64 {
            guard let v = number.int64, range.contains(v) else {
                throw fail("value \(number.text) is out of range \(range.lowerBound)...\(range.upperBound)")
            }
            return v
        }
        func unsigned(_ max: UInt64) throws(TypedValueError) -> UInt64 {
            guard let v = number.uint64, v <= max else { throw fail("value \(number.text) is out of range 0...\(max)") }
            return v
        }
        switch type {
        case .s8: return .s8(Int8(try signed(Int64(Int8.min)...Int64(Int8.max))))
        case .s16: return .s16(Int16(try signed(Int64(Int16.min)...Int64(Int16.max))))
        case .s32: return .s32(Int32(try signed(Int64(Int32.min)...Int64(Int32.max))))
        case .s64: return .s64(try signed(Int64.min...Int64.max))
        case .u8: return .u8(UInt8(try unsigned(UInt64(UInt8.max))))
        case .u16: return .u16(UInt16(try unsigned(UInt64(UInt16.max))))
        case .u32: return .u32(UInt32(try unsigned(UInt64(UInt32.max))))
        default: return .u64(try unsigned(UInt64.max))
        }
    }
}
