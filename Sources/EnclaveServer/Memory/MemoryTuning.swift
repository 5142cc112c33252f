#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Makes the C allocator give large blocks back to the system when they are freed.
///
/// glibc serves a request of 128 KiB or more with its own `mmap`, but raises that threshold to
/// the size of each such block freed (up to 32 MiB); from then on multi-MiB request buffers are
/// carved from the per-thread heaps, whose free memory goes back to the system only when it
/// happens to sit at a heap's top. With a fixed threshold every large buffer is a mapping of its
/// own, unmapped when freed: in a C model of 200 connections growing 15 MiB buffers on 8 threads,
/// 129 MiB stayed resident after every buffer was freed with glibc's defaults, 3 MiB with this.
/// (Before the request budget, each connection's frame decoder also kept its grown buffer's
/// capacity between frames.)
///
/// The threshold sits above the 512 KiB value stack WasmKit allocates for every guest function
/// invocation (`Function.invoke`, several per call: the export, `cabi_realloc`, post-return).
/// At 256 KiB each of those stacks was a mapping of its own: an `mmap`, a page fault and an
/// `munmap` per invocation, and the `munmap` flushes the TLB of every core running one of the
/// server's threads (an inter-processor interrupt; in a VM, an exit on each core). Measured in
/// release, reference app `hello`: 13,186 `mmap` and 13,259 `munmap` calls for 15,600 calls,
/// and `munmap` alone 9 % of the server's CPU time under pipelined load. From the heap the stack
/// is reused, already mapped, by the next call on the thread. `mallopt`/`malloc_trim` are declared in `<malloc.h>`, which Swift's
/// Glibc module does not import, so they are looked up by name; elsewhere (macOS) this does nothing.
enum MemoryTuning {
    /// Blocks from this size up get their own mapping: above WasmKit's per-invocation value
    /// stack (`EngineConfiguration.stackSize`, 512 KiB by default, plus the allocator's header).
    static let mmapThreshold: Int32 = 1024 * 1024

    private typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    private typealias MallocTrim = @convention(c) (Int) -> Int32

    // glibc's <malloc.h> parameter numbers.
    private static let mTrimThreshold: Int32 = -1
    private static let mMmapThreshold: Int32 = -3

    /// Sets the thresholds once per process (idempotent).
    static func apply() {
        #if canImport(Glibc)
        guard let mallopt: Mallopt = symbol("mallopt") else { return }
        _ = mallopt(mMmapThreshold, mmapThreshold)
        _ = mallopt(mTrimThreshold, 2 * mmapThreshold)
        #endif
    }

    /// Returns free heap memory at the top and inside the heaps to the system (`malloc_trim`).
    static func trim() {
        #if canImport(Glibc)
        guard let trim: MallocTrim = symbol("malloc_trim") else { return }
        _ = trim(0)
        #endif
    }

    #if canImport(Glibc)
    private static func symbol<T>(_ name: String) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else { return nil }
        return unsafeBitCast(address, to: T.self)
    }
    #endif
}

/// Runs every few seconds on an event loop: forgets idle uploads and, after large requests have
/// come and gone, trims the allocator's heaps (the JSON trees and strings decoded from a large
/// frame are many small blocks, which a fixed mmap threshold does not cover).
struct MemorySweeper: Sendable {
    static let interval = TimeAmount.seconds(2)
    /// Released request bytes that make a trim worth its cost (it walks every heap).
    static let trimAfterBytes = 8 << 20

    let uploads: UploadStore
    let budget: RequestMemoryBudget

    func sweep() {
        uploads.expire()
        if budget.takeReleasedBytes() >= Self.trimAfterBytes {
            MemoryTuning.trim()
        }
    }
}
