import WasmKit
import XCTest
@testable import Components

/// The load-time rewrite that exports every defined memory, table and global of a core module
/// under reserved names (`CoreStateRewriter`).
final class CoreStateRewriterTests: XCTestCase {
    private static let header: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
    /// `(global (mut i32) (i32.const 0))`
    private static let globalSection: [UInt8] = [0x06, 0x06, 0x01, 0x7F, 0x01, 0x41, 0x00, 0x0B]
    /// `(memory 1)`
    private static let memorySection: [UInt8] = [0x05, 0x03, 0x01, 0x00, 0x01]

    func testExportsAreAddedWhenTheModuleHasNone() throws {
        let bytes = Self.header + Self.memorySection + Self.globalSection
        let rewritten = try CoreStateRewriter.rewrite(bytes, module: try parseWasm(bytes: bytes))
        XCTAssertEqual(rewritten.exports.memories.count, 1)
        XCTAssertEqual(rewritten.exports.globals.count, 1)
        let module = try parseWasm(bytes: rewritten.bytes)
        XCTAssertEqual(Set(module.exports.map(\.name)), Set(rewritten.exports.memories + rewritten.exports.globals))
        XCTAssertTrue(module.exports.allSatisfy { CoreStateExports.isReserved($0.name) })
    }

    func testExistingExportsAreKept() throws {
        let bytes = try Fixtures.bytes("core-module.wasm")
        let original = try parseWasm(bytes: bytes)
        let rewritten = try CoreStateRewriter.rewrite(bytes, module: original)
        let module = try parseWasm(bytes: rewritten.bytes)
        let names = module.exports.map(\.name)
        for export in original.exports { XCTAssertTrue(names.contains(export.name), export.name) }
        XCTAssertEqual(names.count, original.exports.count + rewritten.exports.memories.count + rewritten.exports.tables.count + rewritten.exports.globals.count)
        XCTAssertFalse(rewritten.exports.globals.isEmpty)
    }

    func testPassiveDataSegmentsAreNotResettable() throws {
        // (data "\2a"): a call could data.drop it, which a restore cannot undo.
        let bytes = Self.header + Self.globalSection + [0x0B, 0x04, 0x01, 0x01, 0x01, 0x2A]
        XCTAssertThrowsError(try CoreStateRewriter.rewrite(bytes, module: try parseWasm(bytes: bytes))) { error in
            guard case .notResettable = error as? CoreStateRewriteError else { return XCTFail("\(error)") }
        }
        // The component still loads; it just instantiates per call.
        let loaded = try CoreModuleLoader.load(bytes)
        XCTAssertNil(loaded.state)
    }

    func testAReservedExportNameIsRefused() throws {
        let name = Array("\(CoreStateExports.reservedPrefix)global0".utf8)
        let exportSection: [UInt8] = [0x07, UInt8(name.count + 4), 0x01, UInt8(name.count)] + name + [0x03, 0x00]
        let bytes = Self.header + Self.globalSection + exportSection
        XCTAssertThrowsError(try CoreStateRewriter.rewrite(bytes, module: try parseWasm(bytes: bytes))) { error in
            guard case .reservedNameInUse = error as? CoreStateRewriteError else { return XCTFail("\(error)") }
        }
    }

    /// Hostile bytes: every truncation and many corruptions of a real module either rewrite or
    /// throw; none may crash or hang.
    func testTruncatedAndCorruptedModulesNeverCrash() throws {
        let bytes = try Fixtures.bytes("core-module.wasm")
        let module = try parseWasm(bytes: bytes)
        for length in 0..<bytes.count {
            _ = try? CoreStateRewriter.rewrite(Array(bytes[..<length]), module: module)
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            var corrupted = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                corrupted[Int.random(in: 8..<corrupted.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if let rewritten = try? CoreStateRewriter.rewrite(corrupted, module: module) {
                XCTAssertGreaterThanOrEqual(rewritten.bytes.count, 8)
            }
        }
    }
}
