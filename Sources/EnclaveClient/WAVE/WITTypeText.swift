/// WIT types as WIT text: references (`list<point>`, `option<u8>`, a named type by its name),
/// the definitions of named types (`record point { x: s32, y: s32 }`), and function
/// signatures (`add: func(a: u32, b: u32) -> u32`).
public enum WITTypeText {
    /// How a type is referred to: named types by name, others spelled out.
    public static func reference(_ type: WITValueType) -> String {
        if let name = type.name { return name }
        switch type {
        case .list(let element): return "list<\(reference(element))>"
        case .option(let inner): return "option<\(reference(inner))>"
        case .tuple(let elements): return "tuple<\(elements.map(reference).joined(separator: ", "))>"
        case .result(nil, nil): return "result"
        case .result(let ok, nil): return "result<\(ok.map(reference) ?? "_")>"
        case .result(let ok, let err?): return "result<\(ok.map(reference) ?? "_"), \(reference(err))>"
        case .handle(let kind, let resource): return "\(kind)<\(resource)>"
        case .record: return "record { \(definitionBody(type)) }"
        case .variant: return "variant { \(definitionBody(type)) }"
        case .enumeration: return "enum { \(definitionBody(type)) }"
        case .flags: return "flags { \(definitionBody(type)) }"
        default: return type.tag
        }
    }

    /// `record point { x: s32, y: s32 }`, or nil for an unnamed type.
    public static func definition(_ type: WITValueType) -> String? {
        guard let name = type.name else { return nil }
        let keyword: String
        switch type {
        case .record: keyword = "record"
        case .variant: keyword = "variant"
        case .enumeration: keyword = "enum"
        case .flags: keyword = "flags"
        default: return nil
        }
        return "\(keyword) \(name) { \(definitionBody(type)) }"
    }

    private static func definitionBody(_ type: WITValueType) -> String {
        switch type {
        case .record(_, let fields): return fields.map { "\($0.name): \(reference($0.type))" }.joined(separator: ", ")
        case .variant(_, let cases): return cases.map { c in c.type.map { "\(c.name)(\(reference($0)))" } ?? c.name }.joined(separator: ", ")
        case .enumeration(_, let cases): return cases.joined(separator: ", ")
        case .flags(_, let names): return names.joined(separator: ", ")
        default: return ""
        }
    }

    /// Every named type reachable from `types`, each definition once, in first-seen order
    /// (the types a named type uses come before it).
    public static func namedDefinitions(_ types: [WITValueType]) -> [String] {
        var seen: [String] = []
        func visit(_ type: WITValueType, depth: Int) {
            guard depth < WITValueType.maxDepth else { return }
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
