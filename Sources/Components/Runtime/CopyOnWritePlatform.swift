#if os(Linux)
import Glibc

/// The Linux calls behind `CopyOnWriteImage`, and the self-test that decides, once per
/// process, whether they behave as its safety argument needs.
enum CopyOnWritePlatform {
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Whether sealed memfds, private fixed mappings of them and MADV_DONTNEED behave as
    /// documented here (checked on a scratch mapping the first time a memory asks).
    static let works = selfTest()

    // memfd_create(2) is not in Swift's Glibc module (glibc declares it only under
    // _GNU_SOURCE), so it is looked up at run time; a C library without it disables the path.
    private typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
    private static let memfdCreate: MemfdCreate? = dlsym(nil, "memfd_create").map { unsafeBitCast($0, to: MemfdCreate.self) }
    // Linux UAPI constants (linux/memfd.h, linux/fcntl.h), likewise not imported.
    private static let memfdCloseOnExec: UInt32 = 0x1
    private static let memfdAllowSealing: UInt32 = 0x2
    private static let addSeals: Int32 = 1033
    /// F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE.
    private static let allSeals: Int32 = 0x1 | 0x2 | 0x4 | 0x8
    /// MAP_FAILED. Computed: a raw pointer is not `Sendable`, so it cannot be a stored static.
    private static var mapFailed: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: -1) }

    /// A memfd holding a copy of `bytes`, sealed so that it can never change; nil on any failure.
    static func sealedFile(copying bytes: UnsafeRawBufferPointer) -> Int32? {
        guard let memfdCreate, let source = bytes.baseAddress else { return nil }
        let fd = memfdCreate("enclaveos-memory-image", memfdCloseOnExec | memfdAllowSealing)
        guard fd >= 0 else { return nil }
        var offset = 0
        var written = ftruncate(fd, off_t(bytes.count)) == 0
        while written, offset < bytes.count {
            let count = pwrite(fd, source + offset, bytes.count - offset, off_t(offset))
            if count < 0, errno == EINTR { continue }
            written = count > 0
            offset += max(count, 0)
        }
        guard written, fcntl(fd, addSeals, allSeals) == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Replaces `[base, base + byteCount)` by a private, writable mapping of the file.
    static func mapPrivately(_ fd: Int32, at base: UnsafeMutableRawPointer, byteCount: Int) -> Bool {
        mmap(base, byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) == base
    }

    /// Puts anonymous read-write memory back over the range and fills it from the file.
    static func remapAnonymously(_ fd: Int32, at base: UnsafeMutableRawPointer, byteCount: Int) -> Bool {
        guard mmap(base, byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == base else {
            return false
        }
        var offset = 0
        while offset < byteCount {
            let count = pread(fd, base + offset, byteCount - offset, off_t(offset))
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }

    /// Runs the whole cycle on two scratch pages: map, read, write, reset, read again; and
    /// checks the seal refuses a shared writable mapping.
    private static func selfTest() -> Bool {
        let size = 2 * pageSize
        guard let region = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), region != mapFailed else {
            return false
        }
        defer { munmap(region, size) }
        let bytes = region.assumingMemoryBound(to: UInt8.self)
        func pattern(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: index &* 31 &+ 7) }
        for index in 0..<size { bytes[index] = pattern(index) }
        guard let fd = sealedFile(copying: UnsafeRawBufferPointer(start: region, count: size)) else { return false }
        defer { close(fd) }
        guard mapPrivately(fd, at: region, byteCount: size) else { return false }
        guard (0..<size).allSatisfy({ bytes[$0] == pattern($0) }) else { return false }
        for index in [0, pageSize - 1, pageSize, size - 1] { bytes[index] = ~pattern(index) }
        guard madvise(region, size, MADV_DONTNEED) == 0, (0..<size).allSatisfy({ bytes[$0] == pattern($0) }) else { return false }
        if let shared = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), shared != mapFailed {
            munmap(shared, size)
            return false
        }
        return true
    }
}
#endif
