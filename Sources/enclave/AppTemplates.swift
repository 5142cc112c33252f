import Foundation

/// The app templates of `enclave new`, embedded into the binary at build time from the
/// repository's `Templates/` (EmbedFilesPlugin): `Templates/<language>/…` becomes the app
/// folder, `Templates/common/…` (the bindings generator) its `support/` folder for the
/// languages that use it, and `{{name}}` in any file becomes the app's name.
enum AppTemplates {
    /// The languages with a template.
    enum Language: String, CaseIterable {
        case swift, python, c

        /// Whether the app gets `Templates/common` (bindgen.py) in `support/`.
        var usesBindgen: Bool { self != .python }

        /// The file a user edits first.
        var sourceFile: String {
            switch self {
            case .swift: return "App.swift"
            case .python: return "app.py"
            case .c: return "app.c"
            }
        }
    }

    /// A file of a new app.
    struct File: Equatable {
        let path: String
        let executable: Bool
        let contents: [UInt8]
    }

    /// WIT's keywords, which cannot name a world without escaping.
    static let witKeywords: Set<String> = [
        "as", "async", "bool", "borrow", "char", "constructor", "enum", "export", "f32", "f64", "flags", "from",
        "func", "future", "import", "include", "interface", "list", "own", "package", "record", "resource",
        "result", "s8", "s16", "s32", "s64", "static", "stream", "string", "tuple", "type", "u8", "u16", "u32",
        "u64", "use", "variant", "with", "world", "option", "error-context",
    ]
    /// Longest app name accepted.
    static let maxNameLength = 64

    /// Checks that `name` can be the app's WIT world name, package name and file name:
    /// kebab-case words of lowercase letters and digits, each starting with a letter.
    static func validate(name: String) throws {
        let words = name.split(separator: "-", omittingEmptySubsequences: false)
        let valid = !name.isEmpty && name.count <= maxNameLength && words.allSatisfy { word in
            guard let first = word.first, ("a"..."z").contains(first) else { return false }
            return word.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        }
        guard valid else {
            throw TemplateError("app name '\(name)' must be kebab-case: lowercase words of letters and digits, each starting with a letter, joined by '-' (e.g. hello-world), at most \(maxNameLength) characters")
        }
        guard !witKeywords.contains(name) else { throw TemplateError("'\(name)' is a WIT keyword; choose another app name") }
    }

    /// The files of a new `language` app named `name`.
    static func files(for language: Language, name: String) throws -> [File] {
        var files: [File] = []
        for embedded in EmbeddedFiles.templates {
            let path: String
            if embedded.path.hasPrefix(language.rawValue + "/") {
                path = String(embedded.path.dropFirst(language.rawValue.count + 1))
            } else if language.usesBindgen, embedded.path.hasPrefix("common/") {
                path = "support/" + embedded.path.dropFirst("common/".count)
            } else {
                continue
            }
            guard let bytes = Data(base64Encoded: embedded.base64) else {
                throw TemplateError("embedded template file \(embedded.path) is corrupt (rebuild enclave)")
            }
            let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "{{name}}", with: name)
            files.append(File(path: path, executable: embedded.executable, contents: Array(text.utf8)))
        }
        guard !files.isEmpty else { throw TemplateError("no \(language.rawValue) template is embedded in this binary") }
        return files
    }

    /// Writes `files` below `folder`, which must not exist or be empty.
    static func write(_ files: [File], into folder: String) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, (try manager.contentsOfDirectory(atPath: folder)).isEmpty else {
                throw TemplateError("'\(folder)' already exists and is not an empty folder; choose another name or --dir")
            }
        }
        for file in files {
            let url = URL(fileURLWithPath: folder).appendingPathComponent(file.path)
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.contents).write(to: url)
            try manager.setAttributes([.posixPermissions: file.executable ? 0o755 : 0o644], ofItemAtPath: url.path)
        }
    }
}

/// A template problem a user can act on.
struct TemplateError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
