// Guest memory for canonical-ABI results: the allocator (../common/alloc.c, a bump allocator;
// every call runs in a fresh instance, so nothing is freed) and `string` results, which are
// returned as a pointer to an 8-byte (ptr, len) area. Shared with ../egress-probe.

@_extern(c, "guest_alloc")
func guestAlloc(_ size: Int) -> UnsafeMutableRawPointer?

/// Allocates `size` bytes (8-aligned) or traps: a guest out of memory cannot report anything.
func allocate(_ size: Int) -> UnsafeMutableRawPointer {
    guard let pointer = guestAlloc(size == 0 ? 1 : size) else { fatalError() }
    return pointer
}

/// The (ptr, len) area of a `string` result holding `bytes` (already in guest memory).
func returnString(_ bytes: Bytes) -> UnsafeMutableRawPointer {
    let count = bytes.count
    let buffer = bytes.start ?? allocate(count)
    let area = allocate(8)
    area.storeBytes(of: UInt32(UInt(bitPattern: buffer)), toByteOffset: 0, as: UInt32.self)
    area.storeBytes(of: UInt32(count), toByteOffset: 4, as: UInt32.self)
    return area
}

/// A string result made of one literal.
func returnString(_ text: StaticString) -> UnsafeMutableRawPointer {
    var bytes = Bytes()
    bytes.append(text)
    return returnString(bytes)
}

/// Reads a pointer-sized (u32) field of a return area.
@inline(__always)
func loadPointer(_ area: UnsafeMutableRawPointer, _ offset: Int) -> UnsafeRawPointer? {
    UnsafeRawPointer(bitPattern: UInt(area.load(fromByteOffset: offset, as: UInt32.self)))
}
