import EnclaveProtocol

/// WIT types as WIT text: references (`list<point>`, `option<u8>`, a named type by its name),
/// the definitions of named types (`record point { x: s32, y: s32 }`), and function
/// signatures (`add: func(a: u32, b: u32) -> u32`).
public enum WITTypeText {
    /// How a type is referred to: named types by name, others spelled out (the type's
    /// `description`).
    public static func reference(_ type: WITType) -> String {
        type.description
    }

    /// `record point { x: s32, y: s32 }`, or nil for an unnamed type.
    public static func definition(_ type: WITType) -> String? {
        guard let name = type.name else { return nil }
        let keyword: String
        switch type {
        case .record: keyword = "record"
        case .variant: keyword = "variant"
        case .enum: keyword = "enum"
        case .flags: keyword = "flags"
        default: return nil
        }
        return "\(keyword) \(name) { \(definitionBody(type)) }"
    }

    private static func definitionBody(_ type: WITType) -> String {
        switch type {
        case .record(_, let fields): return fields.map { "\($0.name): \(reference($0.type))" }.joined(separator: ", ")
        case .variant(_, let cases): return cases.map { c in c.type.map { "\(c.name)(\(reference($0)))" } ?? c.name }.joined(separator: ", ")
        case .enum(_, let cases): return cases.joined(separator: ", ")
        case .flags(_, let names): return names.joined(separator: ", ")
        default: return ""
        }
    }

    /// Every named type reachable from `types`, each definition once, in first-seen order
    /// (the types a named type uses come before it).
    public static func namedDefinitions(_ types: [WITType]) -> [String] {
        var seen: [String] = []
        func visit(_ type: WITType, depth: Int) {
            guard depth < WITType.maxDescriptorDepth else { return }
            switch type {
            case .list(let inner), .option(let inner): visit(inner, depth: depth + 1)
            case .tuple(let elements): elements.forEach { visit($0, depth: depth + 1) }
            case .result(let ok, let err): [ok, err].compactMap { $0 }.forEach { visit($0, depth: depth + 1) }
            case .record(_, let fields): fields.forEach { visit($0.type, depth: depth + 1) }
            case .variant(_, let cases): cases.compactMap(\.type).forEach { visit($0, depth: depth + 1) }
            default: break
            }
            if let text = definition(type), !seen.contains(text) { seen.append(text) }
        }
        types.forEach { visit($0, depth: 0) }
        return seen
    }
}
