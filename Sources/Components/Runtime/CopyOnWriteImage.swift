#if os(Linux)
import Glibc
#endif
import WasmKit

// Resetting a large linear memory in time proportional to what a call touched, not to its size.
//
// WasmKit (with its default mprotect bounds checking on Linux) reserves each 32-bit linear
// memory as one 4 GiB + guard region of address space and makes its first `memory.size` bytes
// read-write; the base never moves, growth only changes page protections. For such a memory we
// write the post-instantiation bytes once into a sealed memfd and map that file over the
// memory's pages in place (`mmap(MAP_FIXED | MAP_PRIVATE)`): the guest reads the same bytes,
// and each page it writes becomes a private copy. A reset is one `madvise(MADV_DONTNEED)` over
// the range, which discards every private copy: the range reads as the file again.
//
// Why that is exact (what the next call observes equals the snapshot, byte for byte):
// - madvise(2), MADV_DONTNEED: "private file mappings … subsequent accesses … repopulate the
//   memory contents from the up-to-date contents of the underlying mapped file". Our file is
//   the snapshot and cannot change: it is sealed against writes, growing and shrinking
//   (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL), and its descriptor is closed
//   once mapped, so nothing can modify or re-open it.
// - `memory.size` cannot differ: a call that grew the memory is never reset (the instance is
//   dropped), and the base address is checked to be the one we mapped at.
// - Nothing else lives in the range: it is exactly the committed part of WasmKit's reservation
//   (checked in /proc/self/maps before mapping: an anonymous read-write mapping ending where an
//   inaccessible one of at least 4 GiB begins), which only this memory uses; WasmKit later
//   only changes protections beyond it (growth) or unmaps the whole reservation (deinit), both
//   of which work the same over a file mapping.
// - A process-wide self-test checks these kernel semantics once before first use (a sandbox
//   such as an SGX library OS may emulate mmap differently); if it fails, or anything above
//   does not hold, the memory is restored by copying, or the instance is not reused.

/// The post-instantiation image of one linear memory, mapped copy-on-write over it.
final class CopyOnWriteImage {
    /// Where the memory's bytes start (stable for WasmKit's reserved memories).
    let base: UnsafeMutableRawPointer
    let byteCount: Int

    private init(base: UnsafeMutableRawPointer, byteCount: Int) {
        self.base = base
        self.byteCount = byteCount
    }

    /// What happened when the memory was offered for mapping.
    enum Outcome {
        case mapped(CopyOnWriteImage)
        /// Not possible here; the memory is untouched.
        case unavailable
        /// The mapping failed halfway and the memory could not be put back: the instance must
        /// not run anything.
        case damaged
    }

    /// Maps `memory`'s current bytes copy-on-write over it, when every condition of the safety
    /// argument above holds.
    static func map(_ memory: Memory) -> Outcome {
        #if os(Linux)
        let byteCount = memory.byteCount
        guard byteCount > 0, CopyOnWritePlatform.works,
              let base = memory.withUnsafeMutableBufferPointer(offset: 0, count: byteCount, { $0.baseAddress }),
              Int(bitPattern: base) % CopyOnWritePlatform.pageSize == 0, byteCount % CopyOnWritePlatform.pageSize == 0,
              ProcessMaps.isReservedLinearMemory(base: base, byteCount: byteCount),
              let fd = CopyOnWritePlatform.sealedFile(copying: UnsafeRawBufferPointer(start: base, count: byteCount))
        else { return .unavailable }
        defer { close(fd) }
        if CopyOnWritePlatform.mapPrivately(fd, at: base, byteCount: byteCount) {
            return .mapped(CopyOnWriteImage(base: base, byteCount: byteCount))
        }
        // MAP_FIXED may have unmapped the range before failing: put anonymous memory back and
        // refill it from the file, or give the instance up.
        return CopyOnWritePlatform.remapAnonymously(fd, at: base, byteCount: byteCount) ? .unavailable : .damaged
        #else
        return .unavailable
        #endif
    }

    /// Discards every page the guest wrote since the last reset. False when that cannot be
    /// exact (the memory grew or moved, or the kernel refused); the instance must be dropped.
    func restore(_ memory: Memory) -> Bool {
        #if os(Linux)
        guard memory.byteCount == byteCount,
              memory.withUnsafeMutableBufferPointer(offset: 0, count: byteCount, { $0.baseAddress }) == base
        else { return false }
        return madvise(base, byteCount, MADV_DONTNEED) == 0
        #else
        return false
        #endif
    }
}
