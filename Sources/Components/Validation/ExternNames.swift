// The grammar of import and export names (Explainer.md, "Import and Export Definitions") and
// the uniqueness rule between the names of one scope.

/// A parsed import or export name.
enum ExternNameKind: Equatable {
    case label(String)
    case constructor(String)
    case method(resource: String, name: String)
    case staticMethod(resource: String, name: String)
    case asyncLabel(String)
    case interface(String)
    /// `unlocked-dep=`, `locked-dep=`, `url=`, `relative-url=`, `integrity=` (imports only).
    case dependency(String)

    var isPlainLabel: Bool {
        if case .label = self { return true }
        return false
    }
}

enum ExternNames {
    /// Parses `name`, throwing `ComponentError.invalid` with what is wrong.
    static func parse(_ name: String, isImport: Bool) throws -> ExternNameKind {
        func fail(_ why: String) -> ComponentError { .invalid("`\(name)`: \(why)") }
        for (prefix, make) in annotated {
            guard name.hasPrefix(prefix) else { continue }
            return try make(String(name.dropFirst(prefix.count)), name)
        }
        if name.hasPrefix("[") { throw fail("unknown annotation in name") }
        for prefix in ["unlocked-dep=", "locked-dep=", "url=", "relative-url=", "integrity="] where name.hasPrefix(prefix) {
            guard isImport else { throw fail("dependency names are only valid for imports") }
            guard name.hasSuffix(">") || name.contains(">,"), name.dropFirst(prefix.count).hasPrefix("<") else {
                throw fail("expected `<` … `>` after `\(prefix)`")
            }
            return .dependency(name)
        }
        if let colon = name.firstIndex(of: ":") {
            try checkInterface(name, colon: colon)
            return .interface(name)
        }
        guard isKebab(name) else { throw ComponentError.invalid("`\(name)` is not in kebab case") }
        return .label(name)
    }

    private typealias Make = @Sendable (String, String) throws -> ExternNameKind

    private static let annotated: [(String, Make)] = [
        ("[constructor]", { rest, _ in try label(rest); return .constructor(rest) }),
        ("[method]", { rest, whole in let (r, m) = try dotted(rest, whole); return .method(resource: r, name: m) }),
        ("[static]", { rest, whole in let (r, m) = try dotted(rest, whole); return .staticMethod(resource: r, name: m) }),
        ("[async method]", { rest, whole in let (r, m) = try dotted(rest, whole); return .method(resource: r, name: m) }),
        ("[async static]", { rest, whole in let (r, m) = try dotted(rest, whole); return .staticMethod(resource: r, name: m) }),
        ("[async]", { rest, _ in try label(rest); return .asyncLabel(rest) }),
    ]

    private static func label(_ text: String) throws {
        guard isKebab(text) else { throw ComponentError.invalid("`\(text)` is not in kebab case") }
    }

    private static func dotted(_ text: String, _ whole: String) throws -> (String, String) {
        guard let dot = text.firstIndex(of: ".") else { throw ComponentError.invalid("`\(whole)`: failed to find `.` character") }
        let resource = String(text[..<dot])
        let method = String(text[text.index(after: dot)...])
        try label(resource)
        try label(method)
        return (resource, method)
    }

    /// `ns:pkg/iface@version`: namespace and package are lowercase words, the interface is a
    /// label, the version a semver.
    private static func checkInterface(_ name: String, colon: String.Index) throws {
        let namespace = String(name[..<colon])
        var rest = name[name.index(after: colon)...]
        guard let slash = rest.firstIndex(of: "/") else {
            if rest.contains(":") { throw ComponentError.invalid("`\(name)`: expected `/` after package name") }
            guard isKebab(String(rest)) else { throw ComponentError.invalid("`\(rest)` is not in kebab case") }
            throw ComponentError.invalid("`\(name)`: expected `/` after package name")
        }
        let package = String(rest[..<slash])
        guard isKebab(namespace) else { throw ComponentError.invalid("`\(namespace)` is not in kebab case") }
        guard isKebab(package) else {
            if package.contains(":") { throw ComponentError.invalid("`\(name)`: expected `/` after package name") }
            throw ComponentError.invalid("`\(package)` is not in kebab case")
        }
        guard isWords(namespace), isWords(package) else { throw ComponentError.invalid("`\(name)` is not a valid extern name") }
        rest = rest[rest.index(after: slash)...]
        var interface = String(rest)
        var version: String?
        if let at = rest.firstIndex(of: "@") {
            interface = String(rest[..<at])
            version = String(rest[rest.index(after: at)...])
        }
        if let nested = interface.firstIndex(of: "/") {
            throw ComponentError.invalid("`\(name)`: trailing characters found: `\(interface[nested...])`")
        }
        guard isKebab(interface) else { throw ComponentError.invalid("`\(interface)` is not in kebab case") }
        if let version { try Semver.check(version, in: name) }
    }

    /// A label: fragments joined by `-`; each fragment is all lowercase or all uppercase
    /// letters and digits, and the label starts with a letter.
    static func isKebab(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, isLetter(first) else { return false }
        for fragment in text.split(separator: "-", omittingEmptySubsequences: false) {
            guard !fragment.isEmpty else { return false }
            var lower = false, upper = false
            for scalar in fragment.unicodeScalars {
                switch scalar {
                case "a"..."z": lower = true
                case "A"..."Z": upper = true
                case "0"..."9": break
                default: return false
                }
            }
            if lower && upper { return false }
        }
        return true
    }

    /// Lowercase words only (namespace and package names).
    static func isWords(_ text: String) -> Bool {
        isKebab(text) && !text.unicodeScalars.contains { ("A"..."Z").contains($0) }
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }
}

/// Semantic versions (semver.org) in interface names.
enum Semver {
    static func check(_ version: String, in name: String) throws {
        func fail(_ why: String) -> ComponentError { .invalid("`\(name)`: invalid version: \(why)") }
        guard !version.isEmpty else { throw fail("empty string") }
        var core = Substring(version)
        var build: Substring?
        var pre: Substring?
        if let plus = core.firstIndex(of: "+") {
            build = core[core.index(after: plus)...]
            core = core[..<plus]
        }
        if let dash = core.firstIndex(of: "-") {
            pre = core[core.index(after: dash)...]
            core = core[..<dash]
        }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            guard let first = part.first else {
                throw fail(index == parts.count - 1 && index > 0 ? "unexpected end of input" : "unexpected character '.'")
            }
            if let bad = part.first(where: { !$0.isASCII || !$0.isNumber }) { throw fail("unexpected character '\(bad)'") }
            if first == "0" && part.count > 1 { throw fail("invalid leading zero") }
        }
        guard parts.count == 3 else { throw fail(parts.count < 3 ? "unexpected end of input" : "unexpected character '.'") }
        for identifiers in [pre, build].compactMap({ $0 }) {
            for identifier in identifiers.split(separator: ".", omittingEmptySubsequences: false) {
                guard !identifier.isEmpty else { throw fail("empty identifier segment") }
                if let bad = identifier.first(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-")) }) {
                    throw fail("unexpected character '\(bad)'")
                }
            }
        }
    }
}

/// The names of one namespace (a scope's imports, or its exports), with the Component Model's
/// uniqueness rule: names equal ignoring ASCII case conflict; `[method]R.M` and `[static]R.M`
/// share a key; a plain `l` conflicts with `[method]l.l` and `[static]l.l`.
struct NameSet {
    private var keys: [String: String] = [:]

    mutating func insert(_ name: String, _ kind: ExternNameKind, what: String) throws {
        let key = Self.key(name, kind)
        if let previous = keys[key] {
            throw ComponentError.invalid("\(what) name `\(name)` conflicts with previous name `\(previous)`")
        }
        switch kind {
        case .label(let label), .asyncLabel(let label):
            let dotted = "\(label.lowercased()).\(label.lowercased())"
            if let previous = keys[dotted] {
                throw ComponentError.invalid("\(what) name `\(name)` conflicts with previous name `\(previous)`")
            }
        case .method(let resource, let method), .staticMethod(let resource, let method):
            if resource.lowercased() == method.lowercased(), let previous = keys[resource.lowercased()] {
                throw ComponentError.invalid("\(what) name `\(name)` conflicts with previous name `\(previous)`")
            }
        default: break
        }
        keys[key] = name
    }

    private static func key(_ name: String, _ kind: ExternNameKind) -> String {
        switch kind {
        case .label(let label), .asyncLabel(let label): return label.lowercased()
        case .constructor(let label): return "[constructor]" + label.lowercased()
        case .method(let resource, let method), .staticMethod(let resource, let method):
            return "\(resource.lowercased()).\(method.lowercased())"
        case .interface(let name), .dependency(let name): return name.lowercased()
        }
    }
}
