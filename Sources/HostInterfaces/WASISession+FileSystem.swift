import Crypto

/// The `wasi:filesystem/types` operations on descriptors, by rep. The bindings only convert
/// values; every rule (flags, paths, caps) lives here and in `SealedFileSystem`, so it is
/// tested without a component. Failures are thrown as `WASIErrorCode`.
extension WASISession {
    /// The preopens: one descriptor for `/` per call of `get-directories`, or none without a
    /// store. The root is readable and mutable (the app owns its whole tree).
    public func preopens() throws -> [(rep: UInt32, path: String)] {
        guard fileSystem != nil else { return [] }
        let rep = try descriptors.insert(Descriptor(target: .directory(.root), flags: [.read, .mutateDirectory]))
        return [(rep, "/")]
    }

    func store() throws -> SealedFileSystem {
        guard let fileSystem else { throw WASIErrorCode.badDescriptor }
        return fileSystem
    }

    func descriptor(_ rep: UInt32) throws -> Descriptor {
        do { return try descriptors.get(rep) } catch { throw WASIErrorCode.badDescriptor }
    }

    /// The directory a path-taking call is relative to. - Throws: `notDirectory` on a file.
    func directory(_ rep: UInt32) throws -> FileSystemPath {
        guard case .directory(let path) = try descriptor(rep).target else { throw WASIErrorCode.notDirectory }
        return path
    }

    /// The open file of `rep`. - Throws: `isDirectory` on a directory.
    func file(_ rep: UInt32) throws -> SealedFileSystem.FileNode {
        guard case .file(let node) = try descriptor(rep).target else { throw WASIErrorCode.isDirectory }
        return node
    }

    /// Resolves `path` against directory descriptor `rep`; escapes are `not-permitted`.
    public func resolve(_ rep: UInt32, _ path: String) throws -> FileSystemPath {
        try FileSystemPath.resolve(path, from: directory(rep))
    }

    /// Mutations through a directory descriptor need `mutate-directory` (else `read-only`).
    func requireMutable(_ rep: UInt32) throws {
        guard try descriptor(rep).flags.contains(.mutateDirectory) else { throw WASIErrorCode.readOnly }
    }

    /// `open-at`: opens `path` under directory `rep`; returns the new descriptor's rep.
    /// Creating, truncating or opening for writing needs `mutate-directory` on `rep`.
    public func openAt(_ rep: UInt32, path: String, openFlags: OpenFlags, flags: DescriptorFlags) throws -> UInt32 {
        // The directory's descriptor is looked up once for the path, the mode and the grant.
        let parent = try descriptor(rep)
        guard case .directory(let base) = parent.target else { throw WASIErrorCode.notDirectory }
        let target = try FileSystemPath.resolve(path, from: base)
        let mutable = parent.flags.contains(.mutateDirectory)
        let changes = openFlags.contains(.create) || openFlags.contains(.truncate) || flags.contains(.write)
        if changes && !mutable { throw WASIErrorCode.readOnly }
        // A child directory is exactly as mutable as its parent: never more (no escalation), and
        // not less either, because libc front ends (the preview1 adapter) do not always ask for
        // `mutate-directory` and then fail creating files in a directory the app owns.
        var granted = flags
        if mutable { granted.insert(.mutateDirectory) } else { granted.remove(.mutateDirectory) }
        let opened = try store().open(at: target, create: openFlags.contains(.create),
                                      exclusive: openFlags.contains(.exclusive),
                                      truncate: openFlags.contains(.truncate),
                                      directory: openFlags.contains(.directory),
                                      write: flags.contains(.write))
        switch opened {
        case .directory(let path):
            return try insertDescriptor(Descriptor(target: .directory(path), flags: granted))
        case .file(let node):
            granted.remove(.mutateDirectory)
            do {
                return try insertDescriptor(Descriptor(target: .file(node), flags: granted))
            } catch {
                try? store().release(node)
                throw error
            }
        }
    }

    private func insertDescriptor(_ descriptor: Descriptor) throws -> UInt32 {
        do { return try descriptors.insert(descriptor) } catch { throw WASIErrorCode.insufficientMemory }
    }

    /// Drops descriptor `rep`; a dirty file is written back (wit/ and docs/sdk.md).
    public func dropDescriptor(_ rep: UInt32) throws {
        let removed: Descriptor
        do { removed = try descriptors.remove(rep) } catch { throw WASIErrorCode.badDescriptor }
        if case .file(let node) = removed.target { try store().release(node) }
    }

    /// `read`: up to `length` bytes at `offset`, and whether the end was reached.
    public func read(_ rep: UInt32, length: UInt64, offset: UInt64) throws -> (bytes: [UInt8], endOfFile: Bool) {
        let opened = try descriptor(rep)
        guard case .file(let node) = opened.target else { throw WASIErrorCode.isDirectory }
        guard opened.flags.contains(.read) else { throw WASIErrorCode.badDescriptor }
        return try store().read(node, length: length, offset: offset)
    }

    /// `write`: writes `bytes` at `offset`; returns the count written.
    public func write(_ rep: UInt32, _ bytes: [UInt8], offset: UInt64) throws -> UInt64 {
        let node = try file(rep)
        guard try descriptor(rep).flags.contains(.write) else { throw WASIErrorCode.badDescriptor }
        return try store().write(node, bytes, at: offset)
    }

    /// `set-size`.
    public func setSize(_ rep: UInt32, _ size: UInt64) throws {
        let node = try file(rep)
        guard try descriptor(rep).flags.contains(.write) else { throw WASIErrorCode.badDescriptor }
        try store().setSize(node, size)
    }

    /// `sync` / `sync-data`: writes the file back now; a no-op for directories.
    public func sync(_ rep: UInt32) throws {
        if case .file(let node) = try descriptor(rep).target { try store().flush(node) }
    }

    /// `stat`.
    public func stat(_ rep: UInt32) throws -> SealedFileSystem.Stat {
        switch try descriptor(rep).target {
        case .directory: return SealedFileSystem.Stat(type: .directory, size: 0)
        case .file(let node): return SealedFileSystem.Stat(type: .file, size: UInt64(node.data.count), times: try store().times(of: node))
        }
    }

    /// `set-times`: a file's modification time (nil: unchanged; status-change becomes now);
    /// a no-op on directories, which keep no times.
    public func setTimes(_ rep: UInt32, modified: Clocks.DateTime?) throws {
        if case .file(let node) = try descriptor(rep).target { try store().setTimes(of: node, modified: modified) }
    }

    /// `set-times-at`: as `setTimes` for `path` under directory `rep`, which must be mutable.
    /// - Throws: `noEntry` when nothing is there.
    public func setTimesAt(_ rep: UInt32, path: String, modified: Clocks.DateTime?) throws {
        let target = try resolve(rep, path)
        try requireMutable(rep)
        try store().setTimes(at: target, modified: modified)
    }

    /// `stat-at`: `no-entry` when nothing is at `path`.
    public func statAt(_ rep: UInt32, path: String) throws -> SealedFileSystem.Stat {
        try store().stat(at: resolve(rep, path))
    }

    /// `get-type`.
    public func type(_ rep: UInt32) throws -> SealedFileSystem.EntryType {
        try stat(rep).type
    }

    /// `get-flags`.
    public func flags(_ rep: UInt32) throws -> DescriptorFlags {
        try descriptor(rep).flags
    }

    /// `create-directory-at`.
    public func createDirectoryAt(_ rep: UInt32, path: String) throws {
        let target = try resolve(rep, path)
        try requireMutable(rep)
        try store().createDirectory(at: target)
    }

    /// `remove-directory-at`.
    public func removeDirectoryAt(_ rep: UInt32, path: String) throws {
        let target = try resolve(rep, path)
        try requireMutable(rep)
        try store().removeDirectory(at: target)
    }

    /// `unlink-file-at`.
    public func unlinkFileAt(_ rep: UInt32, path: String) throws {
        let target = try resolve(rep, path)
        try requireMutable(rep)
        try store().unlinkFile(at: target)
    }

    /// `rename-at`: both descriptors must be mutable directories.
    public func renameAt(_ rep: UInt32, oldPath: String, newDirectory: UInt32, newPath: String) throws {
        let source = try resolve(rep, oldPath)
        let target = try resolve(newDirectory, newPath)
        try requireMutable(rep)
        try requireMutable(newDirectory)
        try store().rename(from: source, to: target)
    }

    /// `read-directory`: a snapshot of the entries, returned as a new stream's rep.
    public func readDirectory(_ rep: UInt32) throws -> UInt32 {
        let entries = try store().listDirectory(at: directory(rep))
        do { return try directoryStreams.insert(DirectoryStream(entries: entries)) } catch { throw WASIErrorCode.insufficientMemory }
    }

    /// `read-directory-entry`: the next entry, or nil at the end.
    public func readDirectoryEntry(_ rep: UInt32) throws -> (name: String, type: SealedFileSystem.EntryType)? {
        var stream: DirectoryStream
        do { stream = try directoryStreams.get(rep) } catch { throw WASIErrorCode.badDescriptor }
        guard stream.next < stream.entries.count else { return nil }
        let entry = stream.entries[stream.next]
        stream.next += 1
        try? directoryStreams.set(rep, stream)
        return entry
    }

    /// `is-same-object`: the same file node, or the same directory path.
    public func isSameObject(_ rep: UInt32, _ other: UInt32) throws -> Bool {
        switch (try descriptor(rep).target, try descriptor(other).target) {
        case (.directory(let a), .directory(let b)): return a == b
        case (.file(let a), .file(let b)): return a === b
        default: return false
        }
    }

    /// `metadata-hash` / `metadata-hash-at`: a hash of the path and size, so equal objects hash
    /// equal (what libc uses it for: inode identity) without exposing anything of the store.
    public func metadataHash(of path: FileSystemPath, size: UInt64) -> (lower: UInt64, upper: UInt64) {
        let digest = Array(SHA256.hash(data: Array((path.description + "\u{0}\(size)").utf8)))
        func word(_ start: Int) -> UInt64 { digest[start..<start + 8].reduce(0) { ($0 << 8) | UInt64($1) } }
        return (word(0), word(8))
    }

    /// The path a descriptor refers to (for `metadata-hash`).
    public func path(_ rep: UInt32) throws -> FileSystemPath {
        switch try descriptor(rep).target {
        case .directory(let path): return path
        case .file(let node): return node.path
        }
    }
}
