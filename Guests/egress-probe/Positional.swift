// The positional shape: fetch(method: u32, url, headers, body: option<list<u8>>).

@_extern(wasm, module: "privasys:enclave-os/https@0.1.0", name: "fetch")
@_extern(c)
func enclaveFetch(
    _ method: UInt32, _ url: UnsafeRawPointer?, _ urlLen: Int,
    _ headers: UnsafeRawPointer?, _ headersLen: Int,
    _ hasBody: Int32, _ body: UnsafeRawPointer?, _ bodyLen: Int,
    _ ret: UnsafeMutableRawPointer)

@_expose(wasm, "probe") @_cdecl("probe")
func probe(_ method: UInt32, _ url: UnsafeRawPointer?, _ urlLen: Int,
           _ root: UnsafeRawPointer?, _ rootLen: Int) -> UnsafeMutableRawPointer {
    let area = allocate(24)
    enclaveFetch(method, url, urlLen, nil, 0, 0, nil, 0, area)
    return describe(area)
}
