/// Reading and changing an open file's cached bytes, within the filesystem's caps and the
/// app's storage quota.
extension SealedFileSystem {
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
    func replaceData(of node: FileNode, with data: [UInt8]) {
        cachedBytes += data.count - node.data.count
        node.data = data
        touch(node)
    }
}
