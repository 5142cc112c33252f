import SealedStore

/// File times (`FileTimes`) in the sealed filesystem: kept on open nodes, stored next to each
/// file, moved by renames, set by `set-times`.
extension SealedFileSystem {
    /// Marks `node` changed now: dirty, with fresh modification and status-change times.
    func touch(_ node: FileNode) {
        node.dirty = true
        node.times = .now()
        node.timesLoaded = true
    }

    /// The times of open file `node`, loading them from the store on first use.
    func times(of node: FileNode) throws -> FileTimes? {
        if !node.timesLoaded {
            node.times = try WASIErrorCode.mapping { try storedTimes(at: node.path) }
            node.timesLoaded = true
        }
        return node.times
    }

    /// The stored times of file `path`; nil when none were ever stored (older stores).
    func storedTimes(at path: FileSystemPath) throws -> FileTimes? {
        try kv.get(FileTimes.key(for: path)).flatMap(FileTimes.init(decoding:))
    }

    /// The mutations that move file `source`'s times to `target` (status change: now). A
    /// target's old times are always removed, so it never keeps times of the file it replaced.
    func renamedTimes(from source: FileSystemPath, to target: FileSystemPath) throws -> [SealedKV.Mutation] {
        var batch: [SealedKV.Mutation] = [.delete(key: Array(FileTimes.key(for: target).utf8))]
        if var times = try storedTimes(at: source) {
            times.changed = Clocks.wallNow()
            batch.append(.put(key: Array(FileTimes.key(for: target).utf8), value: times.encoded))
        }
        batch.append(.delete(key: Array(FileTimes.key(for: source).utf8)))
        return batch
    }

    /// `set-times-at` on `path`: as `setTimes(of:)` for a file; directories keep no times, so
    /// setting theirs succeeds without effect. - Throws: `noEntry` when nothing is at `path`.
    public func setTimes(at path: FileSystemPath, modified: Clocks.DateTime?) throws {
        guard let type = try entryType(at: path) else { throw WASIErrorCode.noEntry }
        guard type == .file else { return }
        if let node = nodes[path], !node.unlinked { return try setTimes(of: node, modified: modified) }
        var times = try WASIErrorCode.mapping { try storedTimes(at: path) } ?? FileTimes(Clocks.wallNow())
        times.modified = modified ?? times.modified
        times.changed = Clocks.wallNow()
        try WASIErrorCode.mapping { try kv.put(FileTimes.key(for: path), times.encoded) }
    }

    /// `set-times` on open file `node`: `modified` replaces the modification time (nil: keep
    /// it); the status-change time becomes now. Stored with the data at the next write-back.
    public func setTimes(of node: FileNode, modified: Clocks.DateTime?) throws {
        let now = Clocks.wallNow()
        var times = try self.times(of: node) ?? FileTimes(now)
        times.modified = modified ?? times.modified
        times.changed = now
        node.times = times
        node.dirty = true
    }
}
