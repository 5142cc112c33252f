import SealedStore

/// One app's filesystem: a directory tree stored in its `SealedKV` (wit/ and docs/sdk.md), with one root,
/// the preopen `/`.
///
/// Layout: a file is one entry `fs:/dir/name` whose value is the whole file; a directory is an
/// empty marker entry `fs:/dir/` (see `FileSystemPath`). Markers are explicit, not inferred from
/// file keys, so empty directories exist, `remove-directory-at` can check emptiness, and opening
/// a file under a missing directory is `no-entry`, as a libc expects.
///
/// Open files are cached as `FileNode`s: reads and writes work on the cached bytes, and the
/// node is written back (one sealed put of the whole file) on `sync`/`sync-data`, when the last
/// descriptor or stream on it is released, or at the end of the call (`flushAll`). Writing back
/// on every `write` would reseal the whole file each time: quadratic in the file size for the
/// small writes a libc makes.
///
/// Not thread-safe: a filesystem belongs to one `WASISession`, which belongs to one call.
public final class SealedFileSystem {
    /// Bounds on what one call may make the host hold or do.
    public struct Limits: Sendable, Equatable {
        /// Largest file; growing past it is `file-too-large`.
        public var maxFileBytes: Int
        /// Most file bytes cached at once across open files; past it is `insufficient-memory`.
        public var maxCachedBytes: Int
        /// Most bytes one `read` returns (a shorter read is legal; the guest asks again).
        public var maxReadBytes: Int
        /// Defaults: 16 MiB files, 64 MiB cached, 1 MiB per read.
        public static let `default` = Limits(maxFileBytes: 16 << 20, maxCachedBytes: 64 << 20, maxReadBytes: 1 << 20)
        /// Explicit limits.
        public init(maxFileBytes: Int, maxCachedBytes: Int, maxReadBytes: Int) {
            self.maxFileBytes = maxFileBytes
            self.maxCachedBytes = maxCachedBytes
            self.maxReadBytes = maxReadBytes
        }
    }

    /// What a path names.
    public enum EntryType: Sendable, Equatable {
        case file, directory
    }

    /// The attributes we keep: type, size, a file's modification/status-change times (see
    /// `FileTimes`; directories and files stored before times existed have none), one link.
    public struct Stat: Sendable, Equatable {
        /// File or directory.
        public var type: EntryType
        /// File size in bytes; 0 for directories.
        public var size: UInt64
        /// A file's times, when known.
        public var times: FileTimes? = nil
    }

    /// The cached contents of one open file, shared by every descriptor and stream on it so
    /// they see each other's writes.
    public final class FileNode {
        /// Where the file lives now (updated by `rename`).
        public internal(set) var path: FileSystemPath
        /// The whole file.
        public internal(set) var data: [UInt8]
        /// True when `data` differs from the stored entry.
        public internal(set) var dirty = false
        /// The size of the stored entry (at load or last write-back): growth past it counts
        /// against the app's storage quota.
        var storedCount = 0
        /// True once the file was unlinked: its data is no longer written back.
        public internal(set) var unlinked = false
        /// True for a file created by this call and not yet written back: it exists only here
        /// (listed from the node) until its first write-back stores it.
        public internal(set) var unstored = false
        /// The file's times: set by every change, loaded from the store on first `stat`.
        public internal(set) var times: FileTimes?
        /// Whether `times` is current (changed here, or loaded).
        var timesLoaded = false
        /// Descriptors and streams holding this node.
        var holders = 0

        init(path: FileSystemPath, data: [UInt8]) {
            self.path = path
            self.data = data
        }
    }

    /// What `open` found or made.
    public enum Opened {
        case directory(FileSystemPath)
        case file(FileNode)
    }

    /// The app's store.
    public let kv: SealedKV
    /// The caps in force.
    public let limits: Limits
    /// Open files by path (set only by this type's extensions).
    var nodes: [FileSystemPath: FileNode] = [:]
    /// File bytes held by `nodes` (and unlinked nodes still held), against `maxCachedBytes`.
    var cachedBytes = 0

    /// A filesystem over `kv`. The file cap is also held under the store's own value cap.
    public init(kv: SealedKV, limits: Limits = .default) {
        self.kv = kv
        var limits = limits
        limits.maxFileBytes = min(limits.maxFileBytes, kv.limits.maxValueBytes)
        self.limits = limits
    }

    // MARK: - Lookups

    /// What `path` names, or nil if nothing.
    public func entryType(at path: FileSystemPath) throws -> EntryType? {
        if path.isRoot { return .directory }
        if let node = nodes[path], !node.unlinked { return .file }
        return try WASIErrorCode.mapping {
            if try kv.get(path.fileKey) != nil { return .file }
            if try kv.get(path.directoryKey) != nil { return .directory }
            return nil
        }
    }

    /// What `lookup` learnt of a stored file that is not open here.
    enum StoredFile {
        /// Its bytes, read and opened once.
        case contents([UInt8])
        /// Only its size: the bytes were neither read nor opened.
        case size(Int)
    }

    /// What `path` names and, for a stored file not open here, its bytes (read once) or, when
    /// `contents` is false (they are about to be thrown away), only its size.
    func lookup(at path: FileSystemPath, contents: Bool = true) throws -> (EntryType?, StoredFile?) {
        if path.isRoot { return (.directory, nil) }
        if let node = nodes[path], !node.unlinked { return (.file, nil) }
        return try WASIErrorCode.mapping {
            if contents {
                if let data = try kv.get(path.fileKey) { return (.file, .contents(data)) }
            } else if let size = try kv.valueSize(path.fileKey) {
                return (.file, .size(size))
            }
            if try kv.get(path.directoryKey) != nil { return (.directory, nil) }
            return (nil, nil)
        }
    }

    /// Attributes of `path`. - Throws: `noEntry` when nothing is there.
    public func stat(at path: FileSystemPath) throws -> Stat {
        if let node = nodes[path], !node.unlinked { return Stat(type: .file, size: UInt64(node.data.count), times: try times(of: node)) }
        if path.isRoot { return Stat(type: .directory, size: 0) }
        return try WASIErrorCode.mapping {
            if let data = try kv.get(path.fileKey) { return Stat(type: .file, size: UInt64(data.count), times: try storedTimes(at: path)) }
            if try kv.get(path.directoryKey) != nil { return Stat(type: .directory, size: 0) }
            throw WASIErrorCode.noEntry
        }
    }

    /// Fails unless `path`'s parent is an existing directory: `no-entry` if missing,
    /// `not-directory` if it is a file. Checking the parent suffices because a directory is
    /// only created inside an existing one and only removed when empty.
    func requireParentDirectory(of path: FileSystemPath) throws {
        switch try entryType(at: path.parent) {
        case .directory: return
        case .file: throw WASIErrorCode.notDirectory
        case nil: throw WASIErrorCode.noEntry
        }
    }

    /// The entries directly inside directory `path`, sorted by name.
    /// - Throws: `noEntry` if missing, `notDirectory` if it is a file.
    public func listDirectory(at path: FileSystemPath) throws -> [(name: String, type: EntryType)] {
        switch try entryType(at: path) {
        case .directory: break
        case .file: throw WASIErrorCode.notDirectory
        case nil: throw WASIErrorCode.noEntry
        }
        let prefix = path.directoryKey
        let keys = try WASIErrorCode.mapping { try kv.keys(withPrefix: prefix) }
        var entries: [(name: String, type: EntryType)] = []
        for key in keys {
            let rest = key.dropFirst(prefix.count)
            if rest.isEmpty { continue }                       // the directory's own marker
            if let slash = rest.firstIndex(of: "/") {
                // Only `name/` (a child directory's marker) is a direct child; deeper keys are not.
                if rest.index(after: slash) == rest.endIndex { entries.append((String(rest[..<slash]), .directory)) }
            } else {
                entries.append((String(rest), .file))
            }
        }
        if nodes.values.contains(where: { $0.unstored }) { addUnstoredFiles(in: path, to: &entries) }
        return entries
    }

    /// Files created by this call in `directory` and not yet written back, merged into
    /// `entries` in the order a stored listing has (by key: a directory's name sorts with its
    /// trailing slash).
    private func addUnstoredFiles(in directory: FileSystemPath, to entries: inout [(name: String, type: EntryType)]) {
        let listed = Set(entries.map(\.name))
        for node in nodes.values where node.unstored && !node.unlinked && node.path.parent == directory {
            if let name = node.path.components.last, !listed.contains(name) { entries.append((name, .file)) }
        }
        func sortKey(_ entry: (name: String, type: EntryType)) -> [UInt8] {
            Array(entry.name.utf8) + (entry.type == .directory ? [UInt8(ascii: "/")] : [])
        }
        entries.sort { sortKey($0).lexicographicallyPrecedes(sortKey($1)) }
    }
}
