#if os(Linux)
import Glibc

/// Reads `/proc/self/maps` to check that a linear memory is WasmKit's reserved kind.
enum ProcessMaps {
    /// True when `[base, base + byteCount)` is the end of an anonymous read-write mapping and an
    /// anonymous inaccessible mapping of at least 4 GiB starts right after it: the committed
    /// part of a wasm32 reservation, not memory from the C heap.
    static func isReservedLinearMemory(base: UnsafeMutableRawPointer, byteCount: Int) -> Bool {
        guard let text = read() else { return false }
        let start = UInt(bitPattern: base), end = start + UInt(byteCount)
        var sawCommitted = false
        for line in text.split(separator: "\n") {
            guard let mapping = Mapping(line) else { continue }
            if mapping.start <= start, start < mapping.end {
                guard mapping.end == end, mapping.permissions == "rw-p", mapping.isAnonymous else { return false }
                sawCommitted = true
            } else if sawCommitted {
                return mapping.start == end && mapping.permissions == "---p" && mapping.isAnonymous && mapping.end - start >= 1 << 32
            }
        }
        return false
    }

    private struct Mapping {
        var start: UInt, end: UInt
        var permissions: Substring
        var isAnonymous: Bool

        /// `start-end perms offset dev inode [path]`.
        init?(_ line: Substring) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 5 else { return nil }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16) else { return nil }
            self.start = start
            self.end = end
            permissions = fields[1]
            isAnonymous = fields[4] == "0" && fields.count == 5
        }
    }

    private static func read() -> String? {
        let fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
#endif
