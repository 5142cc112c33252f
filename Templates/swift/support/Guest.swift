// The canonical ABI for Embedded Swift apps, written once for every app: memory, strings,
// lists and the flat values of the Component Model's calling convention. The generated
// Bindings.swift (support/bindgen.py, run by build.sh) uses it to turn each export's core
// arguments into Swift values and your function's result back, so an app is plain Swift:
//
//     func greet(name: String) -> String { "Hello, \(name)!" }
//
// Every call runs in a fresh instance, so memory is never freed (alloc.c is a bump allocator).

@_extern(c, "guest_alloc")
func guestAlloc(_ size: Int) -> UnsafeMutableRawPointer?

/// `result<T, E>` of WIT; `result<_, E>` is `WITResult<Void, E>` (return `.ok(())`).
enum WITResult<Ok, Err> {
    case ok(Ok)
    case err(Err)
}

/// Guest memory and the canonical ABI's representations of strings and lists.
enum Guest {
    /// `size` bytes of guest memory, 8-aligned (enough for every WIT type); traps when memory
    /// is exhausted: an app out of memory has no way to report anything.
    static func allocate(_ size: Int) -> UnsafeMutableRawPointer {
        guard let pointer = guestAlloc(size == 0 ? 1 : size) else { fatalError("out of memory") }
        return pointer
    }

    /// The address a 32-bit canonical-ABI pointer names.
    static func pointer(_ address: Int32) -> UnsafeRawPointer {
        UnsafeRawPointer(bitPattern: UInt(UInt32(bitPattern: address))) ?? UnsafeRawPointer(allocate(1))
    }

    /// A `char` (the host only sends Unicode scalar values).
    static func scalar(_ value: UInt32) -> Unicode.Scalar {
        Unicode.Scalar(value) ?? "\u{FFFD}"
    }

    /// A `string` argument: `count` UTF-8 bytes at `address`.
    static func string(_ address: Int32, _ count: Int32) -> String {
        guard count > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer(address), count: Int(UInt32(bitPattern: count))), as: UTF8.self)
    }

    /// A `list<T>` argument: `count` elements of `stride` bytes at `address`.
    static func list<T>(_ address: Int32, _ count: Int32, stride: Int, _ load: (UnsafeRawPointer) -> T) -> [T] {
        let base = pointer(address)
        return (0..<Int(UInt32(bitPattern: count))).map { load(base + $0 * stride) }
    }

    /// Writes a `string` (pointer, byte count) at `area`, its bytes copied into fresh memory.
    static func store(_ text: String, at area: UnsafeMutableRawPointer) {
        var text = text
        text.withUTF8 { utf8 in
            let bytes = allocate(utf8.count)
            if let base = utf8.baseAddress { bytes.copyMemory(from: base, byteCount: utf8.count) }
            area.storeBytes(of: UInt32(UInt(bitPattern: bytes)), as: UInt32.self)
            area.storeBytes(of: UInt32(utf8.count), toByteOffset: 4, as: UInt32.self)
        }
    }

    /// Writes a `list<T>` (pointer, element count) at `area`, its elements stored into fresh memory.
    static func store<T>(_ items: [T], at area: UnsafeMutableRawPointer, stride: Int, _ store: (T, UnsafeMutableRawPointer) -> Void) {
        let elements = allocate(items.count * stride)
        for (index, item) in items.enumerated() { store(item, elements + index * stride) }
        area.storeBytes(of: UInt32(UInt(bitPattern: elements)), as: UInt32.self)
        area.storeBytes(of: UInt32(items.count), toByteOffset: 4, as: UInt32.self)
    }
}

/// The flat core values of an export's arguments, as raw 64-bit patterns: i32 and f32 in the
/// low 32 bits. The canonical ABI's joined variant slots then read back without conversion.
struct FlatReader {
    var values: [UInt64]
    var index = 0

    init(_ values: [UInt64]) {
        self.values = values
    }

    mutating func next() -> UInt64 {
        defer { index += 1 }
        return index < values.count ? values[index] : 0
    }

    mutating func i32() -> Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: next())) }
    mutating func i64() -> Int64 { Int64(bitPattern: next()) }
    mutating func f32() -> Float { Float(bitPattern: UInt32(truncatingIfNeeded: next())) }
    mutating func f64() -> Double { Double(bitPattern: next()) }
}

/// Flat core values of a result, the same raw 64-bit patterns as ``FlatReader``.
struct FlatWriter {
    var values: [UInt64] = []

    var count: Int { values.count }

    mutating func i32(_ value: Int32) { values.append(UInt64(UInt32(bitPattern: value))) }
    mutating func i64(_ value: Int64) { values.append(UInt64(bitPattern: value)) }
    mutating func f32(_ value: Float) { values.append(UInt64(value.bitPattern)) }
    mutating func f64(_ value: Double) { values.append(value.bitPattern) }

    /// Zero-fills the unused slots of a variant case smaller than the largest.
    mutating func pad(to total: Int) {
        while values.count < total { values.append(0) }
    }
}
