import SealedStore

/// Opening files in the sealed filesystem: the `open-at` flags, the shared cached nodes, and
/// their write-back to the store.
extension SealedFileSystem {
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
}
