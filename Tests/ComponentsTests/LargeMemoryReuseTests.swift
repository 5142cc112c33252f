import Foundation
import WasmKit
import XCTest
@_spi(Benchmark) @testable import Components

/// Instances whose memory is reset through a copy-on-write mapping (`CopyOnWriteImage`, for
/// memories of 1 MiB and more) must still give every call a fresh instance's memory. Expected
/// values come from wasmtime on the same fixture (`large-state.wasm`, a fresh instance per call):
/// checksum(4096) is 42 fresh and 1114619806593 after fill(0xAB); the poke words are 7, 11, 13.
final class LargeMemoryReuseTests: XCTestCase {
    static let pokeWords: [(address: UInt32, fresh: UInt32)] = [(2000, 7), (786_432, 11), (1_572_860, 13), (65_536, 0), (1_500_000, 0)]

    func loadLargeState() throws -> Component {
        let component = try Component.load(try Fixtures.bytes("large-state.wasm"))
        XCTAssertTrue(component.reusesInstances)
        return component
    }

    func testTheMemoryIsMappedCopyOnWrite() throws {
        XCTAssertTrue(CopyOnWritePlatform.works, "memfd + MAP_PRIVATE + MADV_DONTNEED should behave as documented on Linux")
        let component = try loadLargeState()
        XCTAssertEqual(try component.call("size", []), [.u32(24)])
        XCTAssertEqual(component.idleInstanceCount, 1)
        let maps = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
        XCTAssertTrue(maps.contains("memfd:enclaveos-memory-image"), "no copy-on-write image is mapped")
    }

    func testWritesAnywhereAreNotSeenByTheNextCall() throws {
        let component = try loadLargeState()
        for round in 1...3 {
            for word in Self.pokeWords {
                XCTAssertEqual(try component.call("poke", [.u32(word.address), .u32(UInt32(round) * 1000)]), [.u32(word.fresh)],
                               "address \(word.address), round \(round)")
            }
        }
        XCTAssertEqual(component.idleInstanceCount, 1, "successful calls should share one reset instance")
    }

    func testFillingTheWholeMemoryIsNotSeenByTheNextCall() throws {
        let component = try loadLargeState()
        for _ in 0..<3 {
            XCTAssertEqual(try component.call("checksum", [.u32(4096)]), [.u64(42)])
            XCTAssertEqual(try component.call("fill", [.u8(0xAB)]), [])
        }
        let session = try component.instantiate()
        XCTAssertEqual(try session.call("fill", [.u8(0xAB)]), [])
        XCTAssertEqual(try session.call("checksum", [.u32(4096)]), [.u64(1_114_619_806_593)])
        XCTAssertEqual(try component.call("checksum", [.u32(64)]), try component.callFresh("checksum", [.u32(64)]))
    }

    func testGrowthIsNotSeenByTheNextCall() throws {
        let component = try loadLargeState()
        for _ in 0..<3 {
            XCTAssertEqual(try component.call("grow", [.u32(2)]), [.s32(24)])
            XCTAssertEqual(try component.call("size", []), [.u32(24)])
            XCTAssertEqual(try component.call("poke", [.u32(2000), .u32(1)]), [.u32(7)])
        }
    }

    func testATrapAfterWritesDoesNotLeakThem() throws {
        let component = try loadLargeState()
        XCTAssertEqual(try component.call("poke", [.u32(2000), .u32(1)]), [.u32(7)])
        XCTAssertThrowsError(try component.call("poke-then-trap", [.u32(2000), .u32(99)]))
        XCTAssertThrowsError(try component.call("poke-then-trap", [.u32(1_572_860), .u32(99)]))
        XCTAssertEqual(try component.call("poke", [.u32(2000), .u32(1)]), [.u32(7)])
        XCTAssertEqual(try component.call("poke", [.u32(1_572_860), .u32(1)]), [.u32(13)])
    }

    /// Every fuel budget gives the same outcome as a fresh instance, reused or not.
    func testFuelMatchesAFreshInstanceAtEveryBudget() throws {
        let component = try loadLargeState()
        func outcome(_ result: () throws -> [ComponentValue]) -> String {
            do { return "\(try result())" } catch { return "\(error)" }
        }
        var sawSuccess = false, sawFailure = false
        for fuel in UInt64(0)...40 {
            let limits = ExecutionLimits(fuel: fuel)
            let fresh = outcome { try component.callFresh("poke", [.u32(2000), .u32(5)], limits: limits) }
            XCTAssertEqual(outcome { try component.call("poke", [.u32(2000), .u32(5)], limits: limits) }, fresh, "fuel \(fuel)")
            XCTAssertEqual(outcome { try component.call("poke", [.u32(2000), .u32(5)], limits: limits) }, fresh, "fuel \(fuel)")
            if fresh.hasPrefix("[") { sawSuccess = true } else { sawFailure = true }
        }
        XCTAssertTrue(sawSuccess && sawFailure)
    }

    func testConcurrentCallsEachSeeAFreshMemory() throws {
        let component = try loadLargeState()
        let results = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 32) { index in
            let outcome: String
            do {
                let first = try component.call("poke", [.u32(786_432), .u32(UInt32(index))])
                let second = try component.call("poke", [.u32(786_432), .u32(UInt32(index))])
                outcome = "\(first) \(second)"
            } catch {
                outcome = "\(error)"
            }
            results.mutate { $0.append(outcome) }
        }
        XCTAssertEqual(results.value, Array(repeating: "[Components.ComponentValue.u32(11)] [Components.ComponentValue.u32(11)]", count: 32))
    }

    /// The mapping is only made over WasmKit's reserved memories: a buffer from the C heap of
    /// the same size is refused.
    func testOnlyReservedLinearMemoriesQualify() throws {
        let size = 24 << 16
        let heap = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: CopyOnWritePlatform.pageSize)
        defer { heap.deallocate() }
        XCTAssertFalse(ProcessMaps.isReservedLinearMemory(base: heap, byteCount: size))
        let memory = try Memory(store: Store(engine: Component.makeEngine()), type: MemoryType(min: 24, max: nil))
        let base = try XCTUnwrap(memory.withUnsafeMutableBufferPointer(offset: 0, count: size) { $0.baseAddress })
        XCTAssertTrue(ProcessMaps.isReservedLinearMemory(base: base, byteCount: size))
        XCTAssertFalse(ProcessMaps.isReservedLinearMemory(base: base, byteCount: size - CopyOnWritePlatform.pageSize))
    }

    /// Idle instances are bounded by count and by the memory they hold; one is always kept.
    func testThePoolBoundsTheMemoryOfIdleInstances() {
        func keeps(_ count: Int, _ bytes: Int, _ adding: Int) -> Bool {
            InstancePool.keeps(idleCount: count, idleMemoryBytes: bytes, adding: adding, capacity: 4, maxIdleMemoryBytes: 128 << 20)
        }
        XCTAssertTrue(keeps(0, 0, 500 << 20), "a first instance is kept whatever its size")
        XCTAssertTrue(keeps(3, 96 << 20, 32 << 20))
        XCTAssertFalse(keeps(3, 96 << 20, (32 << 20) + 1))
        XCTAssertFalse(keeps(4, 0, 1))
        XCTAssertTrue(keeps(1, 64 << 20, 64 << 20))
        XCTAssertFalse(keeps(2, 128 << 20, 64 << 20))
    }
}
