import CMemoryScan
import Foundation
import WasmKit
import XCTest
@_spi(Benchmark) @testable import Components

/// Memories below the copy-on-write threshold are reset by comparing each page with the
/// post-instantiation image and rewriting only the pages that differ (`CopiedMemoryImage`).
/// Every call must still see a fresh instance's memory, byte for byte.
final class CopiedMemoryResetTests: XCTestCase {
    /// `large-state.wasm` with its 1.5 MiB memory reset by copying instead of mapping. Expected
    /// values are wasmtime's for a fresh instance per call (see `LargeMemoryReuseTests`).
    func loadLargeStateResetByCopying() throws -> Component {
        var options = LoadOptions()
        options.copyOnWriteMinimumBytes = Int.max
        let component = try Component.load(try Fixtures.bytes("large-state.wasm"), imports: .none, options: options)
        XCTAssertTrue(component.reusesInstances)
        return component
    }

    func testWritesAnywhereAreNotSeenByTheNextCall() throws {
        let component = try loadLargeStateResetByCopying()
        for round in 1...3 {
            for word in LargeMemoryReuseTests.pokeWords {
                XCTAssertEqual(try component.call("poke", [.u32(word.address), .u32(UInt32(round) * 1000)]), [.u32(word.fresh)],
                               "address \(word.address), round \(round)")
            }
        }
        XCTAssertEqual(component.idleInstanceCount, 1, "successful calls should share one reset instance")
    }

    func testFillingTheWholeMemoryIsNotSeenByTheNextCall() throws {
        let component = try loadLargeStateResetByCopying()
        for _ in 0..<3 {
            XCTAssertEqual(try component.call("checksum", [.u32(4096)]), [.u64(42)])
            XCTAssertEqual(try component.call("fill", [.u8(0xAB)]), [])
            XCTAssertEqual(try component.call("fill", [.u8(0)]), [])
        }
        XCTAssertEqual(try component.call("checksum", [.u32(4)]), try component.callFresh("checksum", [.u32(4)]))
    }

    func testATrapAfterWritesDoesNotLeakThem() throws {
        let component = try loadLargeStateResetByCopying()
        XCTAssertThrowsError(try component.call("poke-then-trap", [.u32(2000), .u32(99)]))
        XCTAssertEqual(try component.call("poke", [.u32(2000), .u32(1)]), [.u32(7)])
        XCTAssertEqual(try component.call("poke", [.u32(2000), .u32(1)]), [.u32(7)])
    }

    /// The image itself: after writes in zero and non-zero pages, on page boundaries, in the
    /// last byte, or everywhere, a restore gives back the captured bytes exactly, rewriting
    /// only the pages that differ.
    func testRestoreGivesBackTheImageExactlyAndRewritesOnlyChangedPages() throws {
        let pages = 3
        let memory = try Memory(store: Store(engine: Component.makeEngine()), type: MemoryType(min: UInt64(pages), max: nil))
        let size = pages * 65536, chunk = CopiedMemoryImage.chunkBytes
        func write(_ offset: Int, _ bytes: [UInt8]) {
            memory.withUnsafeMutableBufferPointer(offset: UInt(offset), count: bytes.count) { $0.copyBytes(from: bytes) }
        }
        func contents() -> [UInt8] { memory.withUnsafeBufferPointer(offset: 0, count: size) { [UInt8]($0) } }
        write(100, Array("data segment".utf8))
        write(5 * chunk - 2, [1, 2, 3, 4])   // spans two chunks
        write(size - 1, [9])
        let image = CopiedMemoryImage(memory)
        let captured = contents()
        XCTAssertEqual(image.restore(memory), 0, "an untouched memory needs no rewrite")

        let writes: [(offset: Int, bytes: [UInt8], chunks: Int)] = [
            (100, [0], 1),                          // a byte of data set to zero
            (3 * chunk, [7], 1),                    // a zero page
            (5 * chunk - 1, [0, 0], 2),             // across a boundary between data pages
            (size - 1, [0], 1),                     // the last byte
            (8 * chunk - 1, [1, 1], 2),             // across a boundary between zero pages
        ]
        for write in writes {
            memory.withUnsafeMutableBufferPointer(offset: UInt(write.offset), count: write.bytes.count) { $0.copyBytes(from: write.bytes) }
            XCTAssertNotEqual(contents(), captured)
            XCTAssertEqual(image.restore(memory), write.chunks, "write at \(write.offset)")
            XCTAssertEqual(contents(), captured, "write at \(write.offset)")
        }
        memory.withUnsafeMutableBufferPointer(offset: 0, count: size) { $0.initializeMemory(as: UInt8.self, repeating: 0x5a) }
        XCTAssertEqual(image.restore(memory), size / chunk)
        XCTAssertEqual(contents(), captured)
    }
    /// The vector checks behind `restore`: a single changed bit at any byte of a chunk, in a
    /// zero chunk and in a data chunk, is found and undone.
    func testRestoreFindsAChangeAtEveryByteOfAChunk() throws {
        let memory = try Memory(store: Store(engine: Component.makeEngine()), type: MemoryType(min: 1, max: nil))
        let chunk = CopiedMemoryImage.chunkBytes
        memory.withUnsafeMutableBufferPointer(offset: UInt(chunk), count: chunk) { buffer in
            for index in buffer.indices { buffer[index] = UInt8(truncatingIfNeeded: index * 7 + 1) }
        }
        let image = CopiedMemoryImage(memory)
        func flip(_ offset: Int) {
            memory.withUnsafeMutableBufferPointer(offset: UInt(offset), count: 1) { $0[0] ^= 0x80 }
        }
        for position in 0..<chunk {
            for offset in [position, chunk + position] {   // a zero chunk, then a data chunk
                flip(offset)
                XCTAssertEqual(image.restore(memory), 1, "a changed byte at \(offset)")
                XCTAssertEqual(memory.withUnsafeBufferPointer(offset: UInt(offset), count: 1) { $0[0] }, image.bytes[offset])
            }
        }
        XCTAssertEqual(image.restore(memory), 0)
    }

    /// The same checks at every vector width this machine has, on lengths that are not a
    /// multiple of the width (the tail loop).
    func testScanChecksTailsAndEveryPositionAtEveryLevel() {
        let best = memory_scan_best_level()
        XCTAssertGreaterThanOrEqual(best, Int32(memory_scan_portable.rawValue))
        for level in Int32(memory_scan_portable.rawValue)...best {
            for count in [0, 1, 7, 31, 63, 64, 65, 127, 128, 129, 200, 4095] {
                let zeros = [UInt8](repeating: 0, count: count)
                XCTAssertTrue(memory_scan_is_zero_at(level, zeros, count))
                XCTAssertTrue(memory_scan_equal_at(level, zeros, zeros, count))
                for position in 0..<count {
                    var changed = zeros
                    changed[position] = 1
                    let context = "level \(level), count \(count), position \(position)"
                    XCTAssertFalse(memory_scan_is_zero_at(level, changed, count), context)
                    XCTAssertFalse(memory_scan_equal_at(level, changed, zeros, count), context)
                    XCTAssertFalse(memory_scan_equal_at(level, zeros, changed, count), context)
                    XCTAssertTrue(memory_scan_equal_at(level, changed, changed, count), context)
                }
            }
        }
    }
}
