import XCTest
@testable import Components

/// Hostile and malformed inputs: everything must throw a `ComponentError`, never crash or hang.
final class BinaryValidationTests: XCTestCase {
    func testCoreModuleIsRejectedAsNotAComponent() throws {
        let module = try Fixtures.bytes("core-module.wasm")
        XCTAssertEqual(Array(module.prefix(8)), [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00])
        XCTAssertThrowsError(try Component.load(module)) { error in
            guard case .notAComponent(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.contains("core WebAssembly module"), why)
            XCTAssertTrue(why.contains("wasm-tools component new module.wasm --adapt"), why)
        }
    }

    func testELFIsNamedWithWhatToUploadInstead() {
        // What `wasmtime compile` writes (a `.cwasm`) starts like every ELF file.
        let elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00] + [UInt8](repeating: 0, count: 56)
        XCTAssertThrowsError(try Component.load(elf)) { error in
            guard case .notAComponent(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.contains("ELF") && why.contains(".cwasm") && why.contains("upload the WebAssembly component (`.wasm`)"), why)
        }
    }

    func testEmptyAndGarbageInputs() {
        for input: [UInt8] in [[], [0x00], Array("hello world, not wasm".utf8), [0x00, 0x61, 0x73, 0x6d]] {
            XCTAssertThrowsError(try Component.load(input)) { error in
                guard case .notAComponent = error as? ComponentError else { return XCTFail("got \(error) for \(input)") }
            }
        }
    }

    /// An unknown component binary version is malformed (the spec's binary.wast), and the
    /// message names the version we read.
    func testUnknownVersionIsMalformed() throws {
        var bytes = try Fixtures.bytes("basic.wasm")
        bytes[4] = 0x0c
        XCTAssertThrowsError(try Component.load(bytes)) { error in
            guard case .malformed(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.contains("unknown binary version 0xc"), why)
        }
    }

    func testOversizedSectionLengthIsMalformed() {
        // Preamble, then an instance section claiming 2^32-1 bytes.
        let bytes: [UInt8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f]
        XCTAssertThrowsError(try Component.load(bytes)) { error in
            guard case .malformed(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.contains("section 5"), why)
        }
    }

    func testHugeDeclaredCountDoesNotAllocate() {
        // A type section declaring 4 billion types in a 6-byte section.
        let bytes: [UInt8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x07, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f]
        XCTAssertThrowsError(try Component.load(bytes)) { error in
            guard case .malformed(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.hasPrefix("type section:"), why)
        }
    }

    func testOverlongLEBIsMalformed() {
        let bytes: [UInt8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x07, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]
        XCTAssertThrowsError(try Component.load(bytes)) { error in
            guard case .malformed = error as? ComponentError else { return XCTFail("got \(error)") }
        }
    }

    func testDeeplyNestedComponentsAreRejected() {
        // Each level: a component section whose payload is another preamble + component section.
        var inner: [UInt8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]
        for _ in 0..<40 {
            var leb: [UInt8] = []
            var n = inner.count
            repeat { var b = UInt8(n & 0x7f); n >>= 7; if n > 0 { b |= 0x80 }; leb.append(b) } while n > 0
            inner = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x04] + leb + inner
        }
        XCTAssertThrowsError(try Component.load(inner)) { error in
            guard case .malformed(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.contains("nested deeper"), why)
        }
    }

    /// A component with one type section holding `entries` (already encoded).
    private func typeSectionComponent(_ entries: [[UInt8]]) -> [UInt8] {
        let body = leb(entries.count) + entries.flatMap { $0 }
        return [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x07] + leb(body.count) + body
    }

    private func leb(_ value: Int) -> [UInt8] {
        var out: [UInt8] = []
        var n = value
        repeat { var b = UInt8(n & 0x7f); n >>= 7; if n > 0 { b |= 0x80 }; out.append(b) } while n > 0
        return out
    }

    /// Signed LEB128 (type indices are s33).
    private func sleb(_ value: Int) -> [UInt8] {
        var out: [UInt8] = []
        var n = value
        while true {
            let b = UInt8(n & 0x7f)
            n >>= 7
            if (n == 0 && b & 0x40 == 0) { out.append(b); return out }
            out.append(b | 0x80)
        }
    }

    /// Instances built from instances, 200 levels deep: refused before any recursion over them
    /// can exhaust the stack.
    func testDeeplyNestedInlineInstancesAreRejected() {
        // instance 0 = (instance); instance i = (instance (export "a" (instance i-1))).
        let entries = [[0x01, 0x00]] + (1..<200).map { [0x01, 0x01, 0x00, 0x01, 0x61, 0x05] + leb($0 - 1) }
        let body = leb(entries.count) + entries.flatMap { $0 }
        let bytes: [UInt8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x05] + leb(body.count) + body
        XCTAssertThrowsError(try Component.validate(bytes)) { error in
            guard case .unsupported(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.contains("instances nested deeper"), why)
        }
    }

    func testDeeplyNestedValueTypesAreRejected() {
        // type 0 = list<u32>; type i = list<type i-1>, 100 levels deep.
        let entries = [[0x70, 0x79]] + (1..<100).map { [0x70] + sleb($0 - 1) }
        XCTAssertThrowsError(try Component.load(typeSectionComponent(entries))) { error in
            guard case .unsupported(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.contains("nested deeper"), why)
        }
    }

    func testExponentiallyLargeTypesAreRejected() {
        // type 0 = tuple<u32, u32>; type i = tuple<type i-1, type i-1>: 2^40 nodes if expanded.
        let entries = [[0x6f, 0x02, 0x79, 0x79]] + (1..<40).map { [0x6f, 0x02] + sleb($0 - 1) + sleb($0 - 1) }
        XCTAssertThrowsError(try Component.load(typeSectionComponent(entries))) { error in
            guard case .unsupported(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.contains("larger than"), why)
        }
    }

    func testTypeIndexOutOfRangeIsInvalid() {
        XCTAssertThrowsComponentError(.invalid("type index 5 out of bounds (0 defined)"),
                                      try Component.load(typeSectionComponent([[0x70, 0x05]])))
    }

    func testInvalidCoreFunctionBodyIsRejectedAtLoad() throws {
        var bytes = try Fixtures.bytes("basic.wasm")
        // `add`: local.get 0, local.get 1, i32.add, end. Make it i64.add: a type error.
        let body: [UInt8] = [0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b]
        let start = try XCTUnwrap((0..<(bytes.count - body.count)).first { Array(bytes[$0..<($0 + body.count)]) == body })
        bytes[start + 4] = 0x7c
        XCTAssertThrowsError(try Component.load(bytes)) { error in
            guard case .malformed(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.hasPrefix("instantiation:") || why.hasPrefix("core module"), why)
        }
    }

    func testLiftOfMismatchedCoreTypeIsRejectedAtLoad() throws {
        var bytes = try Fixtures.bytes("basic.wasm")
        // (func (param "a" s32) (param "b" s32) (result s32)) -> (result s64): the core `add`
        // still returns i32, which no longer matches the flattened signature.
        let type: [UInt8] = [0x40, 0x02, 0x01, 0x61, 0x7a, 0x01, 0x62, 0x7a, 0x00, 0x7a]
        let start = try XCTUnwrap((0..<(bytes.count - type.count)).first { Array(bytes[$0..<($0 + type.count)]) == type })
        bytes[start + type.count - 1] = 0x78
        XCTAssertThrowsError(try Component.load(bytes)) { error in
            guard case .invalid(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.hasPrefix("canon lift: lowered result types `[i64]`"), why)
        }
    }

    /// Every prefix of a real component must be rejected, except prefixes that end exactly on a
    /// top-level section boundary: those are smaller valid components, whose exports must then
    /// be a subset of the full component's.
    func testEveryTruncationThrows() throws {
        for name in ["basic.wasm", "types.wasm"] {
            let bytes = try Fixtures.bytes(name)
            let full = try Component.load(bytes)
            let boundaries = sectionBoundaries(bytes)
            XCTAssertGreaterThan(boundaries.count, 3)
            for length in 0..<bytes.count {
                do {
                    let partial = try Component.load(Array(bytes.prefix(length)))
                    XCTAssertTrue(boundaries.contains(length), "\(name) truncated to \(length) bytes loaded")
                    XCTAssertTrue(Set(partial.exports.map(\.name)).isSubset(of: full.exports.map(\.name)))
                } catch is ComponentError {
                    continue
                } catch {
                    XCTFail("\(name) truncated to \(length): non-ComponentError \(error)")
                }
            }
        }
    }

    /// Offsets at which a top-level section ends (including the end of the preamble).
    private func sectionBoundaries(_ bytes: [UInt8]) -> Set<Int> {
        var offsets: Set<Int> = [8]
        var offset = 8
        while offset < bytes.count {
            offset += 1
            var size = 0, shift = 0
            while offset < bytes.count {
                let byte = bytes[offset]
                offset += 1
                size |= Int(byte & 0x7f) << shift
                shift += 7
                if byte & 0x80 == 0 { break }
            }
            offset += size
            offsets.insert(offset)
        }
        return offsets
    }

    /// Random byte flips: either a clean `ComponentError` or a component that still loads.
    func testRandomByteFlipsNeverCrash() throws {
        let original = try Fixtures.bytes("basic.wasm")
        var generator = SplitMix64(seed: 0x5eed)
        var rejected = 0
        for _ in 0..<600 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 8..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
            do {
                let component = try Component.load(bytes)
                // A mutant that still loads must still be callable without crashing.
                for export in component.exports where export.type.params.isEmpty {
                    _ = try? component.call(export.name, [], limits: ExecutionLimits(fuel: 10_000))
                }
            } catch is ComponentError {
                rejected += 1
            } catch {
                XCTFail("non-ComponentError thrown: \(error)")
            }
        }
        XCTAssertGreaterThan(rejected, 100)
    }
}

/// A small deterministic generator so fuzz failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
