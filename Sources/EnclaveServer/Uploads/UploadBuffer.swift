#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of one upload: an anonymous memory mapping of exactly the declared size.
///
/// Mapped rather than allocated so that memory is taken from the system only as chunks arrive
/// (untouched pages cost nothing) and is returned to it the moment the upload ends, whatever
/// the allocator would otherwise keep in its arenas.
final class UploadBuffer {
    let capacity: Int
    private let base: UnsafeMutableRawPointer

    /// Maps `capacity` bytes (at least 1); nil when the system refuses.
    init?(capacity: Int) {
        guard capacity > 0 else { return nil }
        let mapped = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { return nil }
        self.capacity = capacity
        self.base = mapped
    }

    deinit {
        munmap(base, capacity)
    }

    /// Copies `bytes` to `offset`; the caller has checked that they fit.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && offset + bytes.count <= capacity, "upload write out of bounds")
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        (base + offset).copyMemory(from: source, byteCount: bytes.count)
    }

    /// The first `count` bytes.
    func bytes(count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: min(count, capacity))
    }
}
