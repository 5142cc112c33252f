import SealedStore

/// Directory changes in the sealed filesystem: create, remove, unlink a file, rename (one atomic
/// store batch each).
extension SealedFileSystem {
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
}
