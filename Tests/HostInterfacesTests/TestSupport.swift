import Foundation
import XCTest
@testable import HostInterfaces
import SealedStore

/// A fresh app store over an in-memory backend (same ciphertext layout as SQLite).
func makeKV(app: String = "app", backend: InMemoryBackend = InMemoryBackend(), key: AppKey = AppKey.generate(),
            limits: SealedKVLimits = .default) throws -> SealedKV {
    try SealedKV(appName: app, appKey: key, backend: backend, limits: limits)
}

/// Asserts `body` throws exactly the WASI `code`.
func assertCode<T>(_ code: WASIErrorCode, _ body: @autoclosure () throws -> T, _ message: String = "",
                   file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try body(), message, file: file, line: line) { error in
        XCTAssertEqual(error as? WASIErrorCode, code, "\(message): got \(error)", file: file, line: line)
    }
}

/// The repository root (for the WIT files).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
