@preconcurrency import Crypto
import Foundation
import XCTest
@testable import SealedStore

/// A fresh directory under the system temp dir, removed when the test object goes away.
final class TempDirectory {
    let path: String

    init(_ label: String = "sealedstore") throws {
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        path = base
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A sealing key provider with a fixed key, for tests that do not exercise the key file.
struct FixedSealingKey: SealingKeyProvider {
    var kind: String { "test" }
    var isSimulated: Bool { true }
    let bytes: [UInt8]
    init(_ fill: UInt8 = 7) { bytes = [UInt8](repeating: fill, count: 32) }
    func sealingKey() throws -> SymmetricKey { SymmetricKey(data: bytes) }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Asserts that `body` throws `SealedStoreError.integrity`.
func assertIntegrityError<T>(_ body: @autoclosure () throws -> T, _ message: String = "",
                             file: StaticString = #filePath, line: UInt = #line) {
    do {
        let value = try body()
        XCTFail("expected an integrity error, got \(value) \(message)", file: file, line: line)
    } catch let error as SealedStoreError {
        guard case .integrity = error else {
            return XCTFail("expected integrity, got \(error) \(message)", file: file, line: line)
        }
    } catch {
        XCTFail("expected SealedStoreError.integrity, got \(error) \(message)", file: file, line: line)
    }
}

/// Whether `needle` occurs anywhere in `haystack`.
func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return false }
    let first = needle[0]
    var index = 0
    let last = haystack.count - needle.count
    while index <= last {
        if haystack[index] == first && haystack[index..<(index + needle.count)].elementsEqual(needle) { return true }
        index += 1
    }
    return false
}

/// All bytes of the store's files (main database, WAL, shm) in `directory`.
func storeFileBytes(_ directory: String) throws -> [UInt8] {
    var all: [UInt8] = []
    for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
        let data = try Data(contentsOf: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(name)))
        all += Array(data)
    }
    return all
}
