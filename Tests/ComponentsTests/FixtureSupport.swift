import Foundation
import XCTest
@testable import Components

/// Locates committed fixtures relative to this source file (no SwiftPM resources needed).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// The Embedded Swift test guest, if another engineer's build has produced it.
    static func testGuestBytes() throws -> [UInt8]? {
        let url = repositoryRoot.appendingPathComponent("Guests/test-guest/test-guest.wasm")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return [UInt8](try Data(contentsOf: url))
    }
}

/// Asserts that `body` throws exactly `expected`.
func XCTAssertThrowsComponentError<T>(_ expected: ComponentError, _ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        XCTAssertEqual(error as? ComponentError, expected, "got \(error)", file: file, line: line)
    }
}
