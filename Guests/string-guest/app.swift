// EnclaveOS string guest: Embedded Swift with real `String` APIs (case mapping, grapheme
// breaking), so it links libswiftUnicodeDataTables and weighs in like a typical small app.
// Canonical ABI: a `string` parameter arrives as (ptr, len); a `string` result is returned as
// a pointer to an 8-byte (ptr, len) area.

@_extern(c, "guest_alloc")
func guestAlloc(_ size: Int) -> UnsafeMutableRawPointer?

func allocate(_ size: Int) -> UnsafeMutableRawPointer {
    guard let p = guestAlloc(size) else { fatalError() }
    return p
}

/// Decodes a guest string argument.
func argument(_ ptr: UnsafeRawPointer?, _ len: Int) -> String {
    guard let ptr, len > 0 else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: ptr, count: len), as: UTF8.self)
}

/// Copies `text` into guest memory and returns its (ptr, len) area.
func result(_ text: String) -> UnsafeMutableRawPointer {
    var text = text
    let area = allocate(8)
    text.withUTF8 { utf8 in
        let buffer = allocate(max(utf8.count, 1))
        if let base = utf8.baseAddress { buffer.copyMemory(from: base, byteCount: utf8.count) }
        area.storeBytes(of: UInt32(UInt(bitPattern: buffer)), toByteOffset: 0, as: UInt32.self)
        area.storeBytes(of: UInt32(utf8.count), toByteOffset: 4, as: UInt32.self)
    }
    return area
}

@_expose(wasm, "hello") @_cdecl("hello")
func hello() -> UnsafeMutableRawPointer {
    let text: StaticString = "Hello, World!"
    let area = allocate(8)
    area.storeBytes(of: UInt32(UInt(bitPattern: text.utf8Start)), toByteOffset: 0, as: UInt32.self)
    area.storeBytes(of: UInt32(text.utf8CodeUnitCount), toByteOffset: 4, as: UInt32.self)
    return area
}

@_expose(wasm, "uppercase") @_cdecl("uppercase")
func uppercase(_ ptr: UnsafeRawPointer?, _ len: Int) -> UnsafeMutableRawPointer {
    result(argument(ptr, len).uppercased())
}

@_expose(wasm, "count-characters") @_cdecl("count_characters")
func countCharacters(_ ptr: UnsafeRawPointer?, _ len: Int) -> UInt32 {
    UInt32(argument(ptr, len).count)
}

@_expose(wasm, "reverse-words") @_cdecl("reverse_words")
func reverseWords(_ ptr: UnsafeRawPointer?, _ len: Int) -> UnsafeMutableRawPointer {
    let words = argument(ptr, len).split(separator: " ")
    var out = ""
    for word in words.reversed() {
        if !out.isEmpty { out += " " }
        out += word
    }
    return result(out)
}
