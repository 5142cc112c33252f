import WasmKit
import XCTest
@testable import Components

/// The load-time rewrite that charges one unit of fuel per function entered, as wasmtime does
/// (`FuelEntryCharge`). Its effect against wasmtime is measured by DifferentialTests'
/// FuelParityTests; here: the bytes it produces and hostile input.
final class FuelEntryChargeTests: XCTestCase {
    /// A module with two functions, one with local declarations:
    /// `(func) (func (local i32 i64) (local.set 0 (i32.const 7)))`.
    private static let module: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,              // type 0: [] -> []
        0x03, 0x03, 0x02, 0x00, 0x00,                    // two functions of type 0
        0x0A, 0x0F, 0x02,                                // code section: two bodies
        0x02, 0x00, 0x0B,                                // no locals; end
        0x0A, 0x02, 0x01, 0x7F, 0x01, 0x7E, 0x41, 0x07, 0x21, 0x00, 0x0B]  // 2 decls; i32.const 7; local.set 0; end

    func testThePrologueGoesAfterTheLocalsOfEveryBody() throws {
        let charged = try XCTUnwrap(FuelEntryCharge.insert(Self.module))
        let expectedCode: [UInt8] = [0x0A, 0x15, 0x02,
            0x05, 0x00, 0x41, 0x00, 0x1A, 0x0B,
            0x0D, 0x02, 0x01, 0x7F, 0x01, 0x7E, 0x41, 0x00, 0x1A, 0x41, 0x07, 0x21, 0x00, 0x0B]
        XCTAssertEqual(Array(charged[..<19]), Array(Self.module[..<19]), "sections before code are unchanged")
        XCTAssertEqual(Array(charged[19...]), expectedCode)
        XCTAssertNoThrow(try parseWasm(bytes: charged))
    }

    func testAModuleWithoutCodeIsLeftAlone() {
        XCTAssertNil(FuelEntryCharge.insert(Array(Self.module[..<19])))
    }

    /// Every truncation and many corruptions either rewrite or give up (nil); none may crash.
    func testTruncatedAndCorruptedModulesNeverCrash() throws {
        let bytes = try Fixtures.bytes("core-module.wasm")
        XCTAssertNotNil(FuelEntryCharge.insert(bytes))
        for length in 0..<bytes.count { _ = FuelEntryCharge.insert(Array(bytes[..<length])) }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            var corrupted = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                corrupted[Int.random(in: 8..<corrupted.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if let charged = FuelEntryCharge.insert(corrupted) { XCTAssertGreaterThan(charged.count, 8) }
        }
    }
}
