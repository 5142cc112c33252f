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
    private(set) var nodes: [FileSystemPath: FileNode] = [:]
    private var cachedBytes = 0

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
    private func lookup(at path: FileSystemPath, contents: Bool = true) throws -> (EntryType?, StoredFile?) {
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
    private func requireParentDirectory(of path: FileSystemPath) throws {
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

    // MARK: - Directory changes

    /// Creates directory `path`. - Throws: `exist`, `noEntry` (missing parent), `notDirectory`.
    public func createDirectory(at path: FileSystemPath) throws {
        guard try entryType(at: path) == nil else { throw WASIErrorCode.exist }
        try requireParentDirectory(of: path)
        try WASIErrorCode.mapping { try kv.put(path.directoryKey, []) }
    }

    /// Removes the empty directory `path`.
    /// - Throws: `noEntry`, `notDirectory`, `notEmpty`, `busy` for the root.
    public func removeDirectory(at path: FileSystemPath) throws {
        guard !path.isRoot else { throw WASIErrorCode.busy }
        guard !(try listDirectory(at: path)).isEmpty else {
            try WASIErrorCode.mapping { _ = try kv.delete(path.directoryKey) }
            return
        }
        throw WASIErrorCode.notEmpty
    }

    /// Removes file `path`. Open descriptors keep working on their cached bytes, which are then
    /// never written back (POSIX: the data of an unlinked open file dies with its last close).
    /// - Throws: `noEntry`, `isDirectory`.
    public func unlinkFile(at path: FileSystemPath) throws {
        switch try entryType(at: path) {
        case .file: break
        case .directory: throw WASIErrorCode.isDirectory
        case nil: throw WASIErrorCode.noEntry
        }
        // The node's bytes stay counted in `cachedBytes` until its last holder releases it.
        if let node = nodes.removeValue(forKey: path) {
            node.unlinked = true
            node.dirty = false
        }
        try WASIErrorCode.mapping { try kv.apply([.delete(key: Array(path.fileKey.utf8)), .delete(key: Array(FileTimes.key(for: path).utf8))]) }
    }

    /// Renames a file or directory (with everything below it) in one atomic batch.
    /// - Throws: `noEntry` (source or target parent missing), `notPermitted` for the root,
    ///   `invalid` when moving a directory into itself, `isDirectory`/`notDirectory` when the
    ///   target exists with the other type, `notEmpty` for a non-empty target directory,
    ///   `insufficientMemory` when the subtree is larger than one store batch.
    public func rename(from source: FileSystemPath, to target: FileSystemPath) throws {
        guard !source.isRoot, !target.isRoot else { throw WASIErrorCode.notPermitted }
        guard let sourceType = try entryType(at: source) else { throw WASIErrorCode.noEntry }
        if source == target { return }
        try requireParentDirectory(of: target)
        let targetType = try entryType(at: target)
        switch (sourceType, targetType) {
        case (.file, .directory): throw WASIErrorCode.isDirectory
        case (.directory, .file): throw WASIErrorCode.notDirectory
        case (.directory, .directory):
            guard try listDirectory(at: target).isEmpty else { throw WASIErrorCode.notEmpty }
        default: break
        }
        if sourceType == .directory, target.components.starts(with: source.components) {
            throw WASIErrorCode.invalid
        }
        // Cached data must be in the store before the keys move.
        for node in nodes.values where node.path == source || node.path.components.starts(with: source.components) {
            try flush(node)
        }
        var batch: [SealedKV.Mutation] = []
        try WASIErrorCode.mapping {
            if sourceType == .file {
                let data = try kv.get(source.fileKey) ?? []
                if targetType == .file { batch.append(.delete(key: Array(target.fileKey.utf8))) }
                batch.append(.put(key: Array(target.fileKey.utf8), value: data))
                batch.append(.delete(key: Array(source.fileKey.utf8)))
                batch += try renamedTimes(from: source, to: target)
            } else {
                if targetType == .directory { batch.append(.delete(key: Array(target.directoryKey.utf8))) }
                let oldPrefix = source.directoryKey, newPrefix = target.directoryKey
                for (old, new) in [(oldPrefix, newPrefix), (FileTimes.keyPrefix(below: source), FileTimes.keyPrefix(below: target))] {
                    for key in try kv.keys(withPrefix: old) {
                        let value = try kv.get(key) ?? []
                        batch.append(.put(key: Array((new + key.dropFirst(old.count)).utf8), value: value))
                        batch.append(.delete(key: Array(key.utf8)))
                    }
                }
            }
            guard batch.count <= kv.limits.maxBatchWrites else { throw WASIErrorCode.insufficientMemory }
            try kv.apply(batch)
        }
        // Re-home cached nodes so open descriptors follow the rename, as on POSIX.
        // A file open at the target was replaced: like an unlinked file, it is no longer stored.
        for (path, node) in nodes where path == target {
            node.unlinked = true
            node.dirty = false
            nodes.removeValue(forKey: path)
        }
        let moved = nodes.filter { $0.key.components.starts(with: source.components) }
        for (oldPath, node) in moved {
            nodes.removeValue(forKey: oldPath)
            let newPath = FileSystemPath(components: target.components + oldPath.components.dropFirst(source.components.count))
            node.path = newPath
            nodes[newPath] = node
            // The renamed file's status changed (POSIX ctime), as `renamedTimes` stored.
            if oldPath == source, node.timesLoaded { node.times?.changed = Clocks.wallNow() }
        }
    }

    // MARK: - Open files

    /// Opens `path` as `open-at` does, honouring the flags:
    /// - `create`: make an empty file if nothing is there (the parent must exist: `noEntry`).
    /// - `exclusive` (with `create`): `exist` if anything is there.
    /// - `directory`: the path must be a directory (`notDirectory`); with `create`, `invalid`.
    /// - `truncate`: empty the file; needs `write` (`invalid` otherwise), `isDirectory` on one.
    /// - `write` on a directory: `isDirectory`.
    /// A new file opened with `create` alone is stored at once; one opened with
    /// `create|truncate` for writing is stored at its first write-back, with its contents (one
    /// durable write for a file created and written in one call). Either is listed and
    /// `stat`-able in this call before any write.
    public func open(at path: FileSystemPath, create: Bool, exclusive: Bool, truncate: Bool,
                     directory: Bool, write: Bool) throws -> Opened {
        if directory && create { throw WASIErrorCode.invalid }
        // A stored file's bytes come back with its type: opening it reads the store once. A
        // truncating open for writing throws them away, so it learns only the type and size.
        let (type, stored) = try lookup(at: path, contents: !(truncate && write))
        switch type {
        case .directory:
            if create && exclusive { throw WASIErrorCode.exist }
            if truncate || write { throw WASIErrorCode.isDirectory }
            return .directory(path)
        case .file:
            if create && exclusive { throw WASIErrorCode.exist }
            if directory { throw WASIErrorCode.notDirectory }
            if truncate && !write { throw WASIErrorCode.invalid }
            if case .size(let size) = stored { return .file(acquireTruncatedNode(at: path, storedSize: size)) }
            let node = try acquireNode(at: path, stored: stored.flatMap { if case .contents(let data) = $0 { data } else { nil } })
            if truncate && !node.data.isEmpty { replaceData(of: node, with: []) }
            return .file(node)
        case nil:
            guard create else { throw WASIErrorCode.noEntry }
            if path.isRoot { throw WASIErrorCode.isDirectory }
            try requireParentDirectory(of: path)
            // Created to be written (`create|truncate` with `write`): the file is empty whatever
            // another call may store meanwhile, so its creation is buffered like a write and
            // reaches the store with its contents, in the same durable write.
            if truncate && write { return .file(try createUnstoredNode(at: path)) }
            // Create only if still absent: another call or node may have created the file since
            // the lookup, and a plain put would replace its acknowledged contents with nothing.
            // The node is then read from the store: ours (empty) or theirs (truncated below if
            // asked, buffered like any truncation).
            try WASIErrorCode.mapping {
                try kv.apply([.create(key: Array(path.fileKey.utf8), value: []),
                              .create(key: Array(FileTimes.key(for: path).utf8), value: FileTimes.now().encoded)])
            }
            let node = try acquireNode(at: path)
            if truncate && write && !node.data.isEmpty { replaceData(of: node, with: []) }
            return .file(node)
        }
    }

    /// The shared node of file `path`, loading it on first use (from `stored` when the caller
    /// has just read it); counts one more holder.
    func acquireNode(at path: FileSystemPath, stored: [UInt8]? = nil) throws -> FileNode {
        if let node = nodes[path] {
            node.holders += 1
            return node
        }
        guard let data = try stored ?? WASIErrorCode.mapping({ try kv.get(path.fileKey) }) else { throw WASIErrorCode.noEntry }
        guard cachedBytes + data.count <= limits.maxCachedBytes else { throw WASIErrorCode.insufficientMemory }
        let node = FileNode(path: path, data: data)
        node.storedCount = data.count
        node.holders = 1
        nodes[path] = node
        cachedBytes += data.count
        return node
    }

    /// The node of stored file `path` (not open here) opened with `truncate` for writing: empty,
    /// its stored bytes never read. Changed (to be written back) unless the stored file was
    /// empty already, as a truncation of loaded bytes would be.
    private func acquireTruncatedNode(at path: FileSystemPath, storedSize: Int) -> FileNode {
        let node = FileNode(path: path, data: [])
        node.storedCount = storedSize
        node.holders = 1
        nodes[path] = node
        if storedSize > 0 { touch(node) }
        return node
    }

    /// A new empty file that exists only in this call until written back. The entries it will
    /// take are checked against the app's quota now, so a full store still refuses `open-at`.
    private func createUnstoredNode(at path: FileSystemPath) throws -> FileNode {
        let times = FileTimes.now()
        try WASIErrorCode.mapping {
            try kv.checkQuota(creating: [(Array(path.fileKey.utf8), 0), (Array(FileTimes.key(for: path).utf8), times.encoded.count)])
        }
        let node = FileNode(path: path, data: [])
        node.holders = 1
        node.unstored = true
        node.dirty = true
        node.times = times
        node.timesLoaded = true
        nodes[path] = node
        return node
    }

    /// Adds a holder to a node already held (a stream opened on a descriptor's file).
    func retain(_ node: FileNode) { node.holders += 1 }

    /// Drops one holder; the last one writes dirty data back and evicts the node (wit/ and docs/sdk.md: a
    /// dropped dirty descriptor is flushed).
    func release(_ node: FileNode) throws {
        node.holders -= 1
        guard node.holders <= 0 else { return }
        defer {
            cachedBytes -= node.data.count
            if nodes[node.path] === node { nodes.removeValue(forKey: node.path) }
        }
        try flush(node)
    }

    /// Writes `node` back if it changed (`sync`, `sync-data`).
    public func flush(_ node: FileNode) throws {
        guard node.dirty, !node.unlinked else { return }
        // Data and times in one transaction: a crash never pairs new bytes with old times.
        var batch: [SealedKV.Mutation] = [.put(key: Array(node.path.fileKey.utf8), value: node.data)]
        if let times = node.times { batch.append(.put(key: Array(FileTimes.key(for: node.path).utf8), value: times.encoded)) }
        try WASIErrorCode.mapping { try kv.apply(batch) }
        node.dirty = false
        node.unstored = false
        node.storedCount = node.data.count
    }

    /// Writes back every changed open file (end of call). Tries them all and reports the first
    /// failure, so one bad file cannot stop the others from persisting.
    public func flushAll() throws {
        var firstError: Error?
        for node in nodes.values {
            do { try flush(node) } catch { if firstError == nil { firstError = error } }
        }
        if let firstError { throw firstError }
    }

    /// Reads up to `length` bytes (capped by `maxReadBytes`) at `offset`; the flag is true when
    /// the read reached the end of the file.
    public func read(_ node: FileNode, length: UInt64, offset: UInt64) -> (bytes: [UInt8], endOfFile: Bool) {
        let size = UInt64(node.data.count)
        guard offset < size else { return ([], true) }
        let count = min(length, UInt64(limits.maxReadBytes), size - offset)
        let start = Int(offset), end = start + Int(count)
        return (Array(node.data[start..<end]), UInt64(end) == size)
    }

    /// Writes `bytes` at `offset`, zero-filling any gap; returns the count written.
    /// - Throws: `fileTooLarge` past `maxFileBytes`, `insufficientMemory` past the cache cap.
    @discardableResult
    public func write(_ node: FileNode, _ bytes: [UInt8], at offset: UInt64) throws -> UInt64 {
        guard offset <= UInt64(limits.maxFileBytes),
              UInt64(bytes.count) <= UInt64(limits.maxFileBytes) - offset else { throw WASIErrorCode.fileTooLarge }
        let start = Int(offset), end = start + bytes.count
        if end > node.data.count { try grow(node, to: end) }
        node.data.replaceSubrange(start..<end, with: bytes)
        touch(node)
        return UInt64(bytes.count)
    }

    /// Truncates or zero-extends the file to `size` (`set-size`).
    public func setSize(_ node: FileNode, _ size: UInt64) throws {
        guard size <= UInt64(limits.maxFileBytes) else { throw WASIErrorCode.fileTooLarge }
        let newCount = Int(size)
        if newCount > node.data.count {
            try grow(node, to: newCount)
        } else if newCount < node.data.count {
            cachedBytes -= node.data.count - newCount
            node.data.removeSubrange(newCount...)
        }
        touch(node)
    }

    private func grow(_ node: FileNode, to count: Int) throws {
        let extra = count - node.data.count
        guard cachedBytes + extra <= limits.maxCachedBytes else { throw WASIErrorCode.insufficientMemory }
        // Over the app's storage quota: `quota` now, not only when the file is written back.
        try WASIErrorCode.mapping { try kv.checkQuota(growingBy: count - node.storedCount) }
        node.data.append(contentsOf: repeatElement(0, count: extra))
        cachedBytes += extra
    }

    /// Replaces the cached contents, written back like any other change: flushing here would let
    /// a crash between `open-at(truncate)` and the write-back leave an empty file (KillDuringWritesTests).
    private func replaceData(of node: FileNode, with data: [UInt8]) {
        cachedBytes += data.count - node.data.count
        node.data = data
        touch(node)
    }
}
