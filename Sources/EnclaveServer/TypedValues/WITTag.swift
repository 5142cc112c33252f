import Components
import EnclaveProtocol

/// Which `type` tags the server accepts for a parameter (the tag a value is emitted with is
/// ``WITType/tag``, shared with clients).
enum WITTag {
    private static let integerTags: Set<String> = ["s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64"]

    /// Whether a parameter tagged `tag` may be read as `type`. Integer tags are interchangeable
    /// (the value's range is checked against the real type), as are `f32`/`f64`, and `list`/`bytes`
    /// for `list<u8>`; old clients only know the compat tags.
    static func accepts(_ tag: String, for type: WITType) -> Bool {
        switch type {
        case .s8, .u8, .s16, .u16, .s32, .u32, .s64, .u64: return integerTags.contains(tag)
        case .f32, .f64: return tag == "f32" || tag == "f64"
        case .list(.u8): return tag == "bytes" || tag == "list"
        default: return tag == type.tag
        }
    }
}
