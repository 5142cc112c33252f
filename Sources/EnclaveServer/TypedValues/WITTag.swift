import Components

/// The `type` tags of typed values (SPEC §4).
enum WITTag {
    /// The tag a value of `type` is emitted with (`list<u8>` is `bytes`, compat).
    static func tag(of type: WITType) -> String {
        switch type {
        case .bool, .s8, .u8, .s16, .u16, .s32, .u32, .s64, .u64, .f32, .f64, .char, .string:
            return type.description
        case .list(.u8): return "bytes"
        case .list: return "list"
        case .record: return "record"
        case .tuple: return "tuple"
        case .variant: return "variant"
        case .enum: return "enum"
        case .option: return "option"
        case .result: return "result"
        case .flags: return "flags"
        case .own: return "own"
        case .borrow: return "borrow"
        }
    }

    private static let integerTags: Set<String> = ["s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64"]

    /// Whether a parameter tagged `tag` may be read as `type`. Integer tags are interchangeable
    /// (the value's range is checked against the real type), as are `f32`/`f64`, and `list`/`bytes`
    /// for `list<u8>`; old clients only know the compat tags.
    static func accepts(_ tag: String, for type: WITType) -> Bool {
        switch type {
        case .s8, .u8, .s16, .u16, .s32, .u32, .s64, .u64: return integerTags.contains(tag)
        case .f32, .f64: return tag == "f32" || tag == "f64"
        case .list(.u8): return tag == "bytes" || tag == "list"
        default: return tag == self.tag(of: type)
        }
    }
}
