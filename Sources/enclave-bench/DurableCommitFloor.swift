import Foundation

/// The floor under every durable commit on this machine: one `fsync` of a 4 KiB overwrite in
/// the store's directory (SQLite's WAL commit is such a write plus `fsync`). Concurrent
/// writers sharing one commit divide it; a single writer can never go below it. Measured in the
/// same run as the store figures, because on a shared machine it varies with other processes'
/// disk traffic by two orders of magnitude.
enum DurableCommitFloor {
    static let pageBytes = 4096
    static let pages = 64

    /// p50 / p99 of `iterations` overwrite-and-fsync rounds in `directory` (a file of its own,
    /// preallocated so the size never changes: the cheap case a steady WAL reaches).
    static func measure(directory: String, iterations: Int) throws -> Samples {
        let path = directory + "/fsync-floor"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw BenchError("cannot create \(path): errno \(errno)") }
        defer {
            close(fd)
            unlink(path)
        }
        let page = [UInt8](repeating: 0xa5, count: pageBytes)
        for index in 0..<pages { try write(fd, page, at: index) }
        guard fsync(fd) == 0 else { throw BenchError("fsync of \(path) failed: errno \(errno)") }
        var round = 0
        return try Samples.measure(iterations: iterations, warmup: 5) {
            try write(fd, page, at: round % pages)
            round += 1
            guard fsync(fd) == 0 else { throw BenchError("fsync of \(path) failed: errno \(errno)") }
        }
    }

    private static func write(_ fd: Int32, _ page: [UInt8], at index: Int) throws {
        let written = page.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(index * pageBytes)) }
        guard written == page.count else { throw BenchError("pwrite failed: errno \(errno)") }
    }
}
