/// A normalised path inside an app's sealed filesystem: the components below the preopen `/`,
/// with no `.`, `..` or empty components left. The root is the empty list.
///
/// Storage keys (wit/ and docs/sdk.md): a file is the entry `fs:/a/b.txt`; a directory is a marker entry
/// with a trailing slash, `fs:/a/`. The root's marker, `fs:/`, is implicit and never stored.
/// Because a directory's marker is also the key prefix of everything below it, listing a
/// directory is one prefix query.
public struct FileSystemPath: Hashable, Sendable, CustomStringConvertible {
    /// Longest accepted path in UTF-8 bytes (PATH_MAX); keeps every key well under the sealed
    /// store's key cap.
    public static let maxPathBytes = 1024
    /// Longest accepted component (NAME_MAX).
    public static let maxComponentBytes = 255
    /// Deepest accepted nesting; bounds the work of any one path walk.
    public static let maxDepth = 64

    /// The components, root first; empty for the root.
    public let components: [String]

    /// `/a/b`; `/` for the root. Made once, with the path: the storage keys are built from it
    /// on every open, and equality and hashing use it alone (see `==`).
    public let description: String

    /// The root of the app's filesystem (the preopen `/`).
    public static let root = FileSystemPath(components: [])

    init(components: [String]) {
        self.components = components
        description = "/" + components.joined(separator: "/")
    }

    /// A path whose text the caller has already built (`description` of `components`).
    private init(components: [String], description: String) {
        self.components = components
        self.description = description
    }

    /// Equal paths have equal text and the other way round: components are never empty and
    /// never hold a "/", so the text splits back into exactly one list of components. One
    /// string comparison (and hash) instead of one per component: paths key the open-file
    /// table, which every `open-at` and descriptor drop looks up.
    public static func == (left: FileSystemPath, right: FileSystemPath) -> Bool {
        left.description == right.description
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(description)
    }

    /// True for the preopen itself.
    public var isRoot: Bool { components.isEmpty }

    /// The last component (the entry's name in its directory); empty for the root.
    public var name: String { components.last ?? "" }

    /// The containing directory; the root is its own parent.
    public var parent: FileSystemPath { FileSystemPath(components: Array(components.dropLast())) }

    /// The storage key of a file at this path: `fs:/a/b`.
    public var fileKey: String { "fs:" + description }

    /// The storage key of a directory marker at this path, also the prefix of everything
    /// below it: `fs:/a/b/`, and `fs:/` for the root.
    public var directoryKey: String { isRoot ? "fs:/" : "fs:" + description + "/" }

    /// Resolves a guest-supplied `path` relative to the directory `base`.
    ///
    /// WASI paths are relative to a descriptor: an absolute path, or any `..` that climbs above
    /// `base` (even if it comes back down), is `not-permitted`, as the WASI filesystem spec
    /// requires; so `../x`, `/abs/../..` and `a/../../b` are all refused. The check is lexical,
    /// which is exact here because the store has no symbolic links.
    /// - Throws: `noEntry` for an empty path, `notPermitted` for escapes, `nameTooLong` for
    ///   over-long paths or components, `illegalByteSequence` for a NUL byte, `invalid` for a
    ///   path nested deeper than `maxDepth`.
    public static func resolve(_ path: String, from base: FileSystemPath = .root) throws(WASIErrorCode) -> FileSystemPath {
        let utf8 = path.utf8
        guard !utf8.isEmpty else { throw .noEntry }
        guard utf8.count <= maxPathBytes else { throw .nameTooLong }
        guard !utf8.contains(0) else { throw .illegalByteSequence }
        // Bytes, as POSIX and WASI paths are: every "/" byte separates components, also one a
        // combining mark follows (a Character-wise split would keep "/\u{301}" inside a name).
        // A "/" byte never occurs inside a multi-byte UTF-8 sequence, so each component is
        // whole scalars. The byte-wise split is also cheaper (it showed in profiles of `open-at`).
        guard utf8.first != UInt8(ascii: "/") else { throw .notPermitted }
        if let name = plainName(path, utf8) { return try base.appending(name) }
        var result = base.components
        let floor = base.components.count
        for bytes in utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            let component = Substring(bytes)
            // No other string is canonically equivalent to "." or "..": bytes compare exactly.
            switch Self.dots(in: component) {
            case 1:
                continue
            case 2:
                guard result.count > floor else { throw .notPermitted }
                result.removeLast()
            default:
                guard component.utf8.count <= maxComponentBytes else { throw .nameTooLong }
                result.append(String(component))
                guard result.count <= maxDepth else { throw .invalid }
            }
        }
        return FileSystemPath(components: result)
    }

    /// `path` itself when it is one plain component (no "/", not "." or ".."), as most paths
    /// apps open are: then resolving it needs no split. Nil for any other path.
    private static func plainName(_ path: String, _ utf8: String.UTF8View) -> String? {
        guard utf8.count <= maxComponentBytes, !utf8.contains(UInt8(ascii: "/")) else { return nil }
        return dots(in: Substring(path)) == 0 ? path : nil
    }

    /// This directory's entry `name` (one plain component, checked by the caller).
    /// - Throws: `invalid` past `maxDepth`, as `resolve` does.
    private func appending(_ name: String) throws(WASIErrorCode) -> FileSystemPath {
        guard components.count < Self.maxDepth else { throw .invalid }
        return FileSystemPath(components: components + [name], description: isRoot ? "/" + name : description + "/" + name)
    }

    /// 1 for the component ".", 2 for "..", 0 for any other.
    private static func dots(in component: Substring) -> Int {
        let bytes = component.utf8
        guard bytes.count <= 2, bytes.allSatisfy({ $0 == UInt8(ascii: ".") }) else { return 0 }
        return bytes.count
    }
}
