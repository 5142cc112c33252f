import CMemoryScan
import Foundation
import WasmKit

/// The post-instantiation bytes of one small linear memory (below
/// `InstanceSnapshot.copyOnWriteMinimumBytes`), put back after each call by comparing and
/// copying, chunk by chunk.
///
/// A call writes a few pages of a memory (its stack, the allocations of its arguments and
/// results), and most of a small guest's image is zeros (the stack and the heap). Copying
/// the whole image back on every reset wrote every byte of it and evicted the caches the
/// next call runs in; here each chunk is compared first (reads only) and written only when it
/// differs. Zero chunks of the image are checked for zero (one stream read, not a comparison
/// against a zero chunk) and cleared with `memset`, so they do not read the image at all. Both
/// checks are `CMemoryScan`'s vector loops: the whole reset is a read of every byte of
/// memory, and at 128 KiB `memcmp` took about 2 µs of a 16 µs call.
///
/// Exact by construction: after `restore`, every chunk either was found equal to the image,
/// byte for byte, or was overwritten with it.
struct CopiedMemoryImage {
    /// Bytes compared, and rewritten when they differ, at a time: one page.
    static let chunkBytes = 4096

    /// The image, as captured.
    let bytes: [UInt8]
    /// Per chunk, whether the image holds only zeros there.
    private let zeroChunks: [Bool]

    var byteCount: Int { bytes.count }

    /// Captures `memory`'s current bytes.
    init(_ memory: Memory) {
        let bytes = memory.withUnsafeBufferPointer(offset: 0, count: memory.byteCount) { [UInt8]($0) }
        self.bytes = bytes
        zeroChunks = stride(from: 0, to: bytes.count, by: Self.chunkBytes).map { start in
            bytes[start..<min(start + Self.chunkBytes, bytes.count)].allSatisfy { $0 == 0 }
        }
    }

    /// Puts the image back into `memory`, which must have the image's size (the caller checks).
    /// Returns how many chunks had to be rewritten.
    @discardableResult
    func restore(_ memory: Memory) -> Int {
        let count = bytes.count
        guard count > 0 else { return 0 }
        var rewritten = 0
        memory.withUnsafeMutableBufferPointer(offset: 0, count: count) { target in
            guard let base = target.baseAddress else { return }
            bytes.withUnsafeBytes { image in
                guard let source = image.baseAddress else { return }
                for (chunk, isZero) in zeroChunks.enumerated() {
                    let start = chunk * Self.chunkBytes
                    let length = min(Self.chunkBytes, count - start)
                    let live = base + start
                    if isZero {
                        guard !memory_scan_is_zero(live, length) else { continue }
                        memset(live, 0, length)
                    } else {
                        guard !memory_scan_equal(live, source + start, length) else { continue }
                        memcpy(live, source + start, length)
                    }
                    rewritten += 1
                }
            }
        }
        return rewritten
    }
}
