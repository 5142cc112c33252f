// EnclaveOS test guest, written in Embedded Swift against the canonical ABI by
// hand. Strings are handled as raw UTF-8 bytes (no `String`), which keeps the
// component around a few KB instead of pulling in the Unicode data tables.
//
// Canonical ABI reminders: a `string` parameter arrives as (ptr, len); a
// `string` result is returned as a pointer to an 8-byte (ptr, len) area.

@_extern(c, "guest_alloc")
func guestAlloc(_ size: Int) -> UnsafeMutableRawPointer?

@_extern(c, "guest_memory_grow")
func guestMemoryGrow(_ pages: UInt32) -> Int32

@_extern(c, "guest_spin_step")
func guestSpinStep()

/// Allocates `size` bytes or traps (a guest without memory cannot report an error).
func allocate(_ size: Int) -> UnsafeMutableRawPointer {
    guard let p = guestAlloc(size) else { fatalError() }
    return p
}

/// Writes a (ptr, len) pair into a fresh return area and returns its address.
func returnString(_ ptr: UnsafeRawPointer, _ len: Int) -> UnsafeMutableRawPointer {
    let area = allocate(8)
    area.storeBytes(of: UInt32(UInt(bitPattern: ptr)), toByteOffset: 0, as: UInt32.self)
    area.storeBytes(of: UInt32(len), toByteOffset: 4, as: UInt32.self)
    return area
}

/// Copies the given byte ranges back to back into one fresh buffer.
func joined(_ parts: [(UnsafeRawPointer?, Int)]) -> UnsafeMutableRawPointer {
    var total = 0
    for part in parts { total += part.1 }
    let buffer = allocate(total == 0 ? 1 : total)
    var offset = 0
    for part in parts where part.1 > 0 {
        guard let source = part.0 else { fatalError() }
        (buffer + offset).copyMemory(from: source, byteCount: part.1)
        offset += part.1
    }
    return returnString(buffer, total)
}

@_expose(wasm, "hello") @_cdecl("hello")
func hello() -> UnsafeMutableRawPointer {
    let text: StaticString = "Hello, World!"
    return returnString(UnsafeRawPointer(text.utf8Start), text.utf8CodeUnitCount)
}

@_expose(wasm, "add") @_cdecl("add")
func add(_ a: UInt32, _ b: UInt32) -> UInt32 { a &+ b }

@_expose(wasm, "negate") @_cdecl("negate")
func negate(_ x: Int64) -> Int64 { 0 &- x }

@_expose(wasm, "scale") @_cdecl("scale")
func scale(_ x: Double, _ by: Float) -> Double { x * Double(by) }

@_expose(wasm, "is-even") @_cdecl("is_even")
func isEven(_ n: UInt32) -> Bool { n % 2 == 0 }

@_expose(wasm, "echo-u8") @_cdecl("echo_u8")
func echoU8(_ x: UInt8) -> UInt8 { x }

@_expose(wasm, "echo-s8") @_cdecl("echo_s8")
func echoS8(_ x: Int8) -> Int8 { x }

@_expose(wasm, "echo-u16") @_cdecl("echo_u16")
func echoU16(_ x: UInt16) -> UInt16 { x }

@_expose(wasm, "echo-s16") @_cdecl("echo_s16")
func echoS16(_ x: Int16) -> Int16 { x }

@_expose(wasm, "echo-u64") @_cdecl("echo_u64")
func echoU64(_ x: UInt64) -> UInt64 { x }

@_expose(wasm, "echo-f32") @_cdecl("echo_f32")
func echoF32(_ x: Float) -> Float { x }

@_expose(wasm, "echo-char") @_cdecl("echo_char")
func echoChar(_ c: UInt32) -> UInt32 { c }

@_expose(wasm, "greet") @_cdecl("greet")
func greet(_ ptr: UnsafeRawPointer?, _ len: Int) -> UnsafeMutableRawPointer {
    let prefix: StaticString = "Hello, "
    let suffix: StaticString = "!"
    return joined([
        (UnsafeRawPointer(prefix.utf8Start), prefix.utf8CodeUnitCount),
        (ptr, len),
        (UnsafeRawPointer(suffix.utf8Start), suffix.utf8CodeUnitCount),
    ])
}

@_expose(wasm, "concat") @_cdecl("concat")
func concat(_ aPtr: UnsafeRawPointer?, _ aLen: Int, _ bPtr: UnsafeRawPointer?, _ bLen: Int) -> UnsafeMutableRawPointer {
    joined([(aPtr, aLen), (bPtr, bLen)])
}

@_expose(wasm, "count-bytes") @_cdecl("count_bytes")
func countBytes(_ ptr: UnsafeRawPointer?, _ len: Int) -> UInt32 { UInt32(truncatingIfNeeded: len) }

@_expose(wasm, "spin") @_cdecl("spin")
func spin() -> UInt32 {
    // The step is an opaque call into C with a volatile store: the loop cannot
    // be proven side-effect free, so it is never deleted.
    while true { guestSpinStep() }
}

@_expose(wasm, "crash") @_cdecl("crash")
func crash() {
    fatalError()
}

@_expose(wasm, "grow") @_cdecl("grow")
func grow(_ pages: UInt32) -> Int32 { guestMemoryGrow(pages) }

@_expose(wasm, "fib") @_cdecl("fib")
func fib(_ n: UInt32) -> UInt64 {
    var a: UInt64 = 0
    var b: UInt64 = 1
    var i: UInt32 = 0
    while i < n {
        let next = a &+ b
        a = b
        b = next
        i &+= 1
    }
    return a
}
