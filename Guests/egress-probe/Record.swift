// The record shape: fetch(request { method: enum, url, headers, body: option<list<u8>>,
// ca-roots-der: option<list<list<u8>>> }) -> result<response, string>. The record's 11 flat
// values stay under the 16-parameter limit, so they are passed directly.

@_extern(wasm, module: "privasys:enclave-os/https@0.1.0", name: "fetch")
@_extern(c)
func enclaveFetch(
    _ method: Int32, _ url: UnsafeRawPointer?, _ urlLen: Int,
    _ headers: UnsafeRawPointer?, _ headersLen: Int,
    _ hasBody: Int32, _ body: UnsafeRawPointer?, _ bodyLen: Int,
    _ hasRoots: Int32, _ roots: UnsafeRawPointer?, _ rootsLen: Int,
    _ ret: UnsafeMutableRawPointer)

@_expose(wasm, "probe") @_cdecl("probe")
func probe(_ method: UInt32, _ url: UnsafeRawPointer?, _ urlLen: Int,
           _ root: UnsafeRawPointer?, _ rootLen: Int) -> UnsafeMutableRawPointer {
    let area = allocate(24)
    if rootLen > 0 {
        // One list<u8> element: (ptr, len).
        let roots = allocate(8)
        roots.storeBytes(of: UInt32(UInt(bitPattern: root)), toByteOffset: 0, as: UInt32.self)
        roots.storeBytes(of: UInt32(rootLen), toByteOffset: 4, as: UInt32.self)
        enclaveFetch(Int32(bitPattern: method), url, urlLen, nil, 0, 0, nil, 0, 1, UnsafeRawPointer(roots), 1, area)
    } else {
        enclaveFetch(Int32(bitPattern: method), url, urlLen, nil, 0, 0, nil, 0, 0, nil, 0, area)
    }
    return describe(area)
}
