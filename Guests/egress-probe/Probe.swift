// Egress probe: a test guest that calls `privasys:enclave-os/https.fetch` with any method and
// URL and describes the outcome as one string, so tests can drive every egress error path
// through a real component. Built twice, once per WIT shape of `fetch` (Positional.swift,
// Record.swift); both shapes share the result layout read here.

@_extern(c, "guest_alloc")
func guestAlloc(_ size: Int) -> UnsafeMutableRawPointer?

/// Allocates `size` bytes (8-aligned) or traps.
func allocate(_ size: Int) -> UnsafeMutableRawPointer {
    guard let pointer = guestAlloc(size == 0 ? 1 : size) else { fatalError() }
    return pointer
}

/// Copies `bytes` into guest memory and returns the (ptr, len) area of a `string` result.
func returnString(_ bytes: Bytes) -> UnsafeMutableRawPointer {
    let count = bytes.storage.count
    let buffer = allocate(count)
    bytes.storage.withUnsafeBytes { source in
        if let base = source.baseAddress, count > 0 { buffer.copyMemory(from: base, byteCount: count) }
    }
    let area = allocate(8)
    area.storeBytes(of: UInt32(UInt(bitPattern: buffer)), toByteOffset: 0, as: UInt32.self)
    area.storeBytes(of: UInt32(count), toByteOffset: 4, as: UInt32.self)
    return area
}

/// A field of a return area that holds a guest pointer.
func pointerField(_ area: UnsafeMutableRawPointer, _ offset: Int) -> UnsafeRawPointer? {
    UnsafeRawPointer(bitPattern: UInt(area.load(fromByteOffset: offset, as: UInt32.self)))
}

/// Describes `result<(status, headers, body), string>` as laid out by both shapes:
/// tag u8 @0; ok: status u16 @4, headers (ptr @8, len @12), body (ptr @16, len @20);
/// err: message (ptr @4, len @8).
func describe(_ area: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
    var text = Bytes()
    if area.load(fromByteOffset: 0, as: UInt8.self) != 0 {
        text.append("error: ")
        text.append(pointerField(area, 4), Int(area.load(fromByteOffset: 8, as: UInt32.self)))
        return returnString(text)
    }
    let bodyCount = Int(area.load(fromByteOffset: 20, as: UInt32.self))
    text.append("HTTP ")
    text.append(decimal: UInt64(area.load(fromByteOffset: 4, as: UInt16.self)))
    text.append(", ")
    text.append(decimal: UInt64(area.load(fromByteOffset: 12, as: UInt32.self)))
    text.append(" headers, ")
    text.append(decimal: UInt64(bodyCount))
    text.append(" bytes: ")
    text.append(pointerField(area, 16), min(bodyCount, 48))
    return returnString(text)
}
