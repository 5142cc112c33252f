/// The WIT types stored as one little-endian number (or byte) that owns nothing, as a plain
/// enum: lifting and lowering switch on it per value instead of on the (boxed) `WITType`.
enum ScalarKind: Sendable, CustomStringConvertible {
    case bool, s8, u8, s16, u16, s32, u32, s64, u64, f32, f64, char

    /// The WIT type, for messages.
    var type: WITType {
        switch self {
        case .bool: return .bool
        case .s8: return .s8
        case .u8: return .u8
        case .s16: return .s16
        case .u16: return .u16
        case .s32: return .s32
        case .u32: return .u32
        case .s64: return .s64
        case .u64: return .u64
        case .f32: return .f32
        case .f64: return .f64
        case .char: return .char
        }
    }

    var description: String { "\(type)" }

    /// The kind of `type`, or nil when it is not a scalar.
    init?(_ type: WITType) {
        switch type {
        case .bool: self = .bool
        case .s8: self = .s8
        case .u8: self = .u8
        case .s16: self = .s16
        case .u16: self = .u16
        case .s32: self = .s32
        case .u32: self = .u32
        case .s64: self = .s64
        case .u64: self = .u64
        case .f32: self = .f32
        case .f64: self = .f64
        case .char: self = .char
        default: return nil
        }
    }

    /// Whether `value` is a value of this type.
    func matches(_ value: ComponentValue) -> Bool {
        switch (self, value) {
        case (.bool, .bool), (.s8, .s8), (.u8, .u8), (.s16, .s16), (.u16, .u16), (.s32, .s32), (.u32, .u32),
             (.s64, .s64), (.u64, .u64), (.f32, .f32), (.f64, .f64), (.char, .char):
            return true
        default:
            return false
        }
    }
}

/// Which variant-like type a `TypeLayout.Shape.variant` lays out: their values are built
/// differently (`CanonicalABI.makeVariant`).
enum VariantKind: Sendable {
    case variant, `enum`, option, result
}
