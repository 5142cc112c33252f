// The EnclaveOS reference app (README), in Embedded Swift against the canonical ABI by hand.
// Six exports, one per host capability; the outputs match the original Rust reference app.
//
// Canonical ABI reminders: a `string` parameter arrives as (ptr, len); a `string` result is
// returned as a pointer to an 8-byte (ptr, len) area. Every call runs in a fresh instance,
// so nothing is freed (alloc.c is a bump allocator).

@_expose(wasm, "hello") @_cdecl("hello")
func hello() -> UnsafeMutableRawPointer {
    returnString("Hello, World!")
}

@_expose(wasm, "get-random") @_cdecl("get_random")
func getRandom() -> UInt32 {
    let area = allocate(8)
    wasiGetRandomBytes(4, area)
    let count = Int(area.load(fromByteOffset: 4, as: UInt32.self))
    var value: UInt32 = 0
    if let bytes = loadPointer(area, 0) {
        // Little-endian u32 of the first four bytes (a short answer counts as zeros).
        for i in 0..<min(count, 4) {
            value |= UInt32(bytes.load(fromByteOffset: i, as: UInt8.self)) << (8 * UInt32(i))
        }
    }
    return value % 100 + 1
}

@_expose(wasm, "get-time") @_cdecl("get_time")
func getTime() -> UnsafeMutableRawPointer {
    let area = allocate(16)
    wasiWallClockNow(area)
    var text = Bytes()
    text.append(decimal: area.load(fromByteOffset: 0, as: UInt64.self))
    text.append(".")
    text.append(decimal: UInt64(area.load(fromByteOffset: 8, as: UInt32.self)), minimumDigits: 9)
    return returnString(text)
}

/// The first preopened directory (EnclaveOS gives each app exactly one, `/`); other
/// preopens are dropped. Nil when the host gave none.
func rootDirectory() -> Int32? {
    let area = allocate(8)
    wasiGetDirectories(area)
    let count = Int(area.load(fromByteOffset: 4, as: UInt32.self))
    guard count > 0, let list = loadPointer(area, 0) else { return nil }
    for i in 1..<max(count, 1) { wasiDropDescriptor(list.load(fromByteOffset: 12 * i, as: Int32.self)) }
    return list.load(fromByteOffset: 0, as: Int32.self)
}

/// "error: <operation> failed: <error-code>".
func fileError(_ operation: StaticString, _ code: UInt8) -> UnsafeMutableRawPointer {
    var text = Bytes()
    text.append("error: ")
    text.append(operation)
    text.append(" failed: ")
    text.append(errorCodeName(code))
    return returnString(text)
}

@_expose(wasm, "kv-store") @_cdecl("kv_store")
func kvStore(
    _ key: UnsafeRawPointer?, _ keyLen: Int, _ value: UnsafeRawPointer?, _ valueLen: Int
) -> UnsafeMutableRawPointer {
    guard let root = rootDirectory() else { return returnString("error: no preopened directory") }
    let result = allocate(16)
    wasiOpenAt(root, 0, key, keyLen, openCreate | openTruncate, descriptorRead | descriptorWrite, result)
    if result.load(as: UInt8.self) != 0 { return fileError("open-at", result.load(fromByteOffset: 4, as: UInt8.self)) }
    let file = result.load(fromByteOffset: 4, as: Int32.self)
    // `write` may accept fewer bytes than given: loop until everything is written.
    var written = 0
    while written < valueLen, let value {
        wasiWrite(file, value + written, valueLen - written, UInt64(written), result)
        if result.load(as: UInt8.self) != 0 { return fileError("write", result.load(fromByteOffset: 8, as: UInt8.self)) }
        let count = Int(truncatingIfNeeded: result.load(fromByteOffset: 8, as: UInt64.self))
        if count <= 0 { return returnString("error: write failed: no progress") }
        written += count
    }
    // sync-data is what makes the value durable in the sealed store.
    wasiSyncData(file, result)
    if result.load(as: UInt8.self) != 0 { return fileError("sync-data", result.load(fromByteOffset: 1, as: UInt8.self)) }
    wasiDropDescriptor(file)
    wasiDropDescriptor(root)
    var text = Bytes()
    text.append("stored: ")
    text.append(key, keyLen)
    return returnString(text)
}

@_expose(wasm, "kv-read") @_cdecl("kv_read")
func kvRead(_ key: UnsafeRawPointer?, _ keyLen: Int) -> UnsafeMutableRawPointer {
    guard let root = rootDirectory() else { return returnString("error: no preopened directory") }
    let result = allocate(16)
    wasiOpenAt(root, 0, key, keyLen, 0, descriptorRead, result)
    if result.load(as: UInt8.self) != 0 {
        let code = result.load(fromByteOffset: 4, as: UInt8.self)
        guard code == errorNoEntry else { return fileError("open-at", code) }
        var text = Bytes()
        text.append("error: key not found: ")
        text.append(key, keyLen)
        return returnString(text)
    }
    let file = result.load(fromByteOffset: 4, as: Int32.self)
    var contents = Bytes()
    while true {
        wasiRead(file, 65536, UInt64(contents.count), result)
        if result.load(as: UInt8.self) != 0 { return fileError("read", result.load(fromByteOffset: 4, as: UInt8.self)) }
        let count = Int(result.load(fromByteOffset: 8, as: UInt32.self))
        contents.append(loadPointer(result, 4), count)
        if count == 0 || result.load(fromByteOffset: 12, as: UInt8.self) != 0 { break }
    }
    wasiDropDescriptor(file)
    wasiDropDescriptor(root)
    return returnString(contents)
}

/// Copies a literal into fresh guest memory (the host reads arguments from linear memory).
func place(_ text: StaticString) -> UnsafeRawPointer {
    let buffer = allocate(text.utf8CodeUnitCount)
    buffer.copyMemory(from: UnsafeRawPointer(text.utf8Start), byteCount: text.utf8CodeUnitCount)
    return UnsafeRawPointer(buffer)
}

@_expose(wasm, "fetch-headlines") @_cdecl("fetch_headlines")
func fetchHeadlines() -> UnsafeMutableRawPointer {
    let url: StaticString = "https://www.lemonde.fr"
    let headers: [(StaticString, StaticString)] = [
        ("user-agent", "enclave-os-wasm-app-example/0.1"),
        ("accept", "text/html"),
    ]
    // list<tuple<string, string>>: 16-byte elements (name ptr, name len, value ptr, value len).
    let list = allocate(16 * headers.count)
    for (i, (name, value)) in headers.enumerated() {
        list.storeBytes(of: UInt32(UInt(bitPattern: place(name))), toByteOffset: 16 * i, as: UInt32.self)
        list.storeBytes(of: UInt32(name.utf8CodeUnitCount), toByteOffset: 16 * i + 4, as: UInt32.self)
        list.storeBytes(of: UInt32(UInt(bitPattern: place(value))), toByteOffset: 16 * i + 8, as: UInt32.self)
        list.storeBytes(of: UInt32(value.utf8CodeUnitCount), toByteOffset: 16 * i + 12, as: UInt32.self)
    }
    let result = allocate(24)
    enclaveFetch(0, place(url), url.utf8CodeUnitCount, UnsafeRawPointer(list), headers.count, 0, nil, 0, result)
    var text = Bytes()
    if result.load(as: UInt8.self) != 0 {
        var message = Bytes()
        message.append(loadPointer(result, 4), Int(result.load(fromByteOffset: 8, as: UInt32.self)))
        text.append("error: ")
        appendValidUTF8(message.buffer, to: &text)
        return returnString(text)
    }
    let status = result.load(fromByteOffset: 4, as: UInt16.self)
    guard status == 200 else {
        text.append("error: HTTP ")
        text.append(decimal: UInt64(status))
        return returnString(text)
    }
    let bodyCount = Int(result.load(fromByteOffset: 20, as: UInt32.self))
    let body = UnsafeBufferPointer(
        start: loadPointer(result, 16)?.assumingMemoryBound(to: UInt8.self),
        count: loadPointer(result, 16) == nil ? 0 : bodyCount)
    let titles = extractHeadlines(body, limit: 10)
    if titles.isEmpty { return returnString("error: no headlines found") }
    for (i, title) in titles.enumerated() {
        if i > 0 { text.append(byte: 10) }
        text.append(decimal: UInt64(i + 1))
        text.append(". ")
        appendValidUTF8(title.buffer, to: &text)
    }
    return returnString(text)
}
