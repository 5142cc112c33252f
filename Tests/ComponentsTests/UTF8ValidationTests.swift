import XCTest
@testable import Components

/// Strings lifted from guest memory are validated by `CanonicalABI.validUTF8`; the standard
/// library's `String(validating:as:)` is the reference it must agree with on every input.
final class UTF8ValidationTests: XCTestCase {
    private func lifted(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBufferPointer { CanonicalABI.validUTF8($0) }
    }

    func testValidStringsComeBackUnchanged() {
        for text in ["", "a", "bench-key", "é/ü", "日本語", "🦀 emoji", "\u{0}nul", "\u{FFFD}", "x\u{FFFD}y"] {
            XCTAssertEqual(lifted(Array(text.utf8)), text)
        }
    }

    func testInvalidSequencesAreRefused() {
        let invalid: [[UInt8]] = [
            [0xFF], [0xFE, 0xFF], [0x80], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80],
            [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0x61, 0xF0, 0x9F, 0xA6], [0xEF, 0xBF],
        ]
        for bytes in invalid {
            XCTAssertNil(lifted(bytes), "\(bytes)")
        }
    }

    /// Random byte strings, biased towards UTF-8 lead and continuation bytes so that valid and
    /// invalid inputs both occur often.
    func testAgreesWithTheStandardLibraryOnRandomBytes() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0xA0, 0x9F]
        var valid = 0
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...8, using: &generator)
            let bytes = (0..<count).map { _ in alphabet.randomElement(using: &generator)! }
            let expected = String(validating: bytes, as: UTF8.self)
            XCTAssertEqual(lifted(bytes), expected, "\(bytes)")
            if expected != nil { valid += 1 }
        }
        XCTAssertGreaterThan(valid, 1_000, "too few valid inputs to compare")
    }
}
