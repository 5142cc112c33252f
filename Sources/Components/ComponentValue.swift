/// A component-level value: what a component function takes and returns.
///
/// Values carry no type of their own beyond their shape; they are always interpreted against a
/// `WITType` (the canonical ABI and the JSON conversion both walk the type alongside the value).
///
/// A `list<u8>` has two spellings: `.bytes` (one contiguous buffer, what the component layer
/// always produces, copied to and from guest memory in one piece) and `.list` of `.u8` values
/// (accepted everywhere a `list<u8>` is expected). The two compare equal and hash alike when
/// they hold the same bytes.
///
/// Only the cases that hold another `ComponentValue` are indirect (boxed): a scalar, string,
/// list or handle value is stored in place, so lifting and lowering one allocates nothing.
public enum ComponentValue: Sendable {
    case bool(Bool)
    case s8(Int8), u8(UInt8), s16(Int16), u16(UInt16)
    case s32(Int32), u32(UInt32), s64(Int64), u64(UInt64)
    case f32(Float), f64(Double)
    case char(Unicode.Scalar)
    case string(String)
    case list([ComponentValue])
    /// A `list<u8>`, held as bytes.
    case bytes([UInt8])
    /// Record field values in declaration order.
    case record([ComponentValue])
    case tuple([ComponentValue])
    /// The index of the case in the variant type, and its payload if the case has one.
    indirect case variant(caseIndex: Int, payload: ComponentValue?)
    /// The index of the case in the enum type.
    case `enum`(caseIndex: Int)
    indirect case option(ComponentValue?)
    indirect case result(isError: Bool, payload: ComponentValue?)
    /// One boolean per flag name, in declaration order.
    case flags([Bool])
    /// A resource handle (an index into the instance's handle table).
    case handle(UInt32)
}

extension ComponentValue {
    /// The bytes of a `list<u8>` value in either spelling; nil when this is not a list of `u8`s.
    public var byteList: [UInt8]? {
        switch self {
        case .bytes(let bytes): return bytes
        case .list(let items): return Self.bytes(of: items)
        default: return nil
        }
    }

    /// The bytes of `items` when every one is a `.u8`.
    static func bytes(of items: [ComponentValue]) -> [UInt8]? {
        var bytes = [UInt8]()
        bytes.reserveCapacity(items.count)
        for item in items {
            guard case .u8(let byte) = item else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
