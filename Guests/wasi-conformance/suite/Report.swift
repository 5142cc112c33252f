// The suite's report: one line per check, `ok <name>` or `FAIL <name>: <detail>`, returned to
// the host as a list<string> so the Swift test can assert every line and name the failures.
// Text is handled as UTF-8 bytes (no `String`: it would pull the Unicode tables into the guest).

@_extern(c, "guest_alloc")
func guestAlloc(_ size: Int) -> UnsafeMutableRawPointer?

/// Allocates `size` bytes (8-aligned) filled with 0xA5, so a field the host failed to write
/// does not read as a plausible zero.
func area(_ size: Int) -> UnsafeMutableRawPointer {
    guard let pointer = guestAlloc(size == 0 ? 1 : size) else { fatalError() }
    for i in 0..<size { pointer.storeBytes(of: 0xA5, toByteOffset: i, as: UInt8.self) }
    return pointer
}

/// Byte-level text builder.
struct Text {
    var bytes: [UInt8] = []

    init() {}
    init(_ literal: StaticString) { append(literal) }

    mutating func append(_ literal: StaticString) {
        let start = literal.utf8Start
        for i in 0..<literal.utf8CodeUnitCount { bytes.append(start[i]) }
    }

    mutating func append(_ pointer: UnsafeRawPointer?, _ count: Int) {
        guard let pointer, count > 0 else { return }
        for i in 0..<count { bytes.append(pointer.load(fromByteOffset: i, as: UInt8.self)) }
    }

    mutating func append(decimal value: UInt64) {
        var digits: [UInt8] = []
        var rest = value
        repeat {
            digits.append(UInt8(truncatingIfNeeded: rest % 10) + 48)
            rest /= 10
        } while rest > 0
        for digit in digits.reversed() { bytes.append(digit) }
    }
}

/// The collected lines of one run.
var reportLines: [[UInt8]] = []

/// Records one check.
func check(_ name: StaticString, _ passed: Bool, _ detail: Text = Text()) {
    var line = Text(passed ? "ok " : "FAIL ")
    line.append(name)
    if !passed && !detail.bytes.isEmpty {
        line.append(": ")
        line.bytes.append(contentsOf: detail.bytes)
    }
    reportLines.append(line.bytes)
}

/// Records a check that `got == want`, naming both on failure.
func expect(_ name: StaticString, _ got: UInt64, _ want: UInt64) {
    var detail = Text("got ")
    detail.append(decimal: got)
    detail.append(", want ")
    detail.append(decimal: want)
    check(name, got == want, detail)
}

/// Records a check that bytes at `pointer` equal `literal`.
func expectBytes(_ name: StaticString, _ pointer: UnsafeRawPointer?, _ count: Int, _ literal: StaticString) {
    var got = Text()
    got.append(pointer, count)
    let want = Text(literal)
    var detail = Text("got \"")
    detail.bytes.append(contentsOf: got.bytes)
    detail.append("\"")
    check(name, got.bytes == want.bytes, detail)
}

/// Lays the report out as a list<string> result: an 8-byte (ptr, len) area pointing at
/// `count` 8-byte (ptr, len) elements.
func returnReport() -> UnsafeMutableRawPointer {
    let elements = area(reportLines.count * 8)
    for (index, line) in reportLines.enumerated() {
        let buffer = area(line.count)
        for (i, byte) in line.enumerated() { buffer.storeBytes(of: byte, toByteOffset: i, as: UInt8.self) }
        elements.storeBytes(of: UInt32(UInt(bitPattern: buffer)), toByteOffset: index * 8, as: UInt32.self)
        elements.storeBytes(of: UInt32(line.count), toByteOffset: index * 8 + 4, as: UInt32.self)
    }
    let result = area(8)
    result.storeBytes(of: UInt32(UInt(bitPattern: elements)), toByteOffset: 0, as: UInt32.self)
    result.storeBytes(of: UInt32(reportLines.count), toByteOffset: 4, as: UInt32.self)
    return result
}

// MARK: - Return-area accessors

extension UnsafeMutableRawPointer {
    func u8(_ offset: Int) -> UInt8 { load(fromByteOffset: offset, as: UInt8.self) }
    func u32(_ offset: Int) -> UInt32 { load(fromByteOffset: offset, as: UInt32.self) }
    func i32(_ offset: Int) -> Int32 { load(fromByteOffset: offset, as: Int32.self) }
    func u64(_ offset: Int) -> UInt64 { load(fromByteOffset: offset, as: UInt64.self) }
    /// A pointer stored as a u32 field.
    func pointer(_ offset: Int) -> UnsafeRawPointer? { UnsafeRawPointer(bitPattern: UInt(u32(offset))) }
}

/// Calls `body` with a literal's (ptr, len), the canonical form of a `string` argument.
@inline(__always)
func withPath<R>(_ literal: StaticString, _ body: (UnsafeRawPointer, Int) -> R) -> R {
    body(UnsafeRawPointer(literal.utf8Start), literal.utf8CodeUnitCount)
}
