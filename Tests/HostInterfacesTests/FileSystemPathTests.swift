import XCTest
@testable import HostInterfaces

final class FileSystemPathTests: XCTestCase {
    private func resolve(_ path: String, from base: [String] = []) throws -> String {
        try FileSystemPath.resolve(path, from: FileSystemPath(components: base)).description
    }

    private func assertCode(_ path: String, _ code: WASIErrorCode, from base: [String] = [], line: UInt = #line) {
        XCTAssertThrowsError(try resolve(path, from: base), "path \(path)", line: line) { error in
            XCTAssertEqual(error as? WASIErrorCode, code, "path \(path)", line: line)
        }
    }

    func testNormalisesDotsAndSlashes() throws {
        XCTAssertEqual(try resolve("a/b.txt"), "/a/b.txt")
        XCTAssertEqual(try resolve("./a//b/./c/"), "/a/b/c")
        XCTAssertEqual(try resolve("a/x/../b"), "/a/b")
        XCTAssertEqual(try resolve("."), "/")
        XCTAssertEqual(try resolve("a/.."), "/")
        XCTAssertEqual(try resolve("c", from: ["a", "b"]), "/a/b/c")
        XCTAssertEqual(try resolve("c/..", from: ["a"]), "/a")
    }

    func testEscapesAreNotPermitted() {
        for path in ["..", "../x", "a/../../b", "/abs", "/abs/../..", "/", "./../x", "a/b/../../../c"] {
            assertCode(path, .notPermitted)
        }
        // Relative to a subdirectory, climbing above it is an escape even if it stays under `/`.
        assertCode("../sibling", .notPermitted, from: ["a"])
    }

    /// Components are split at every "/" byte, as on POSIX, even where a combining mark makes
    /// "/" part of a larger Character; a leading "/" byte is absolute whatever follows it.
    func testSlashBytesAlwaysSeparate() throws {
        XCTAssertEqual(try FileSystemPath.resolve("a/\u{301}b").components, ["a", "\u{301}b"])
        XCTAssertEqual(try FileSystemPath.resolve("é/.\u{301}").components, ["é", ".\u{301}"])
        assertCode("/\u{301}etc", .notPermitted)
        XCTAssertEqual(try resolve("a/\u{301}/../.."), "/")
        assertCode("a/\u{301}/../../..", .notPermitted)
    }

    func testRejectsEmptyNulAndOverlong() {
        assertCode("", .noEntry)
        assertCode("a\u{0}b", .illegalByteSequence)
        assertCode(String(repeating: "x", count: 256), .nameTooLong)
        assertCode(String(repeating: "a/", count: 600), .nameTooLong)
        assertCode(String(repeating: "a/", count: 65), .invalid)
    }

    /// A one-component path takes a shorter way than a path to split; both must give the same
    /// path, the same limits and the same equality and hashing.
    func testOneComponentPathsResolveAsSplitOnes() throws {
        let base = FileSystemPath(components: ["a", "b"])
        let plain = try FileSystemPath.resolve("c", from: base)
        let split = try FileSystemPath.resolve("./c/", from: base)
        XCTAssertEqual(plain.components, ["a", "b", "c"])
        XCTAssertEqual(plain, split)
        XCTAssertEqual(plain.hashValue, split.hashValue)
        XCTAssertEqual(plain.description, "/a/b/c")
        XCTAssertEqual(try resolve("key"), "/key")
        XCTAssertNotEqual(try FileSystemPath.resolve("ab"), try FileSystemPath.resolve("a/b"))
        XCTAssertEqual(try resolve(String(repeating: "x", count: 255)).utf8.count, 256)
        assertCode(String(repeating: "x", count: 256), .nameTooLong, from: ["a"])
        let deep = Array(repeating: "d", count: FileSystemPath.maxDepth - 1)
        XCTAssertEqual(try FileSystemPath.resolve("last", from: FileSystemPath(components: deep)).components.count, FileSystemPath.maxDepth)
        assertCode("more", .invalid, from: deep + ["d"])
        assertCode("..", .notPermitted, from: ["a"])
    }

    func testStorageKeys() throws {
        let path = try FileSystemPath.resolve("dir/file.txt")
        XCTAssertEqual(path.fileKey, "fs:/dir/file.txt")
        XCTAssertEqual(path.parent.directoryKey, "fs:/dir/")
        XCTAssertEqual(FileSystemPath.root.directoryKey, "fs:/")
        XCTAssertEqual(path.name, "file.txt")
    }

    func testErrorCodeIndicesFollowTheWIT() {
        XCTAssertEqual(WASIErrorCode.allCases.count, 37)
        XCTAssertEqual(WASIErrorCode.witNames.count, 37)
        XCTAssertEqual(WASIErrorCode.noEntry.rawValue, 20)
        XCTAssertEqual(WASIErrorCode.notPermitted.rawValue, 31)
        XCTAssertEqual(WASIErrorCode.crossDevice.witName, "cross-device")
        XCTAssertEqual(WASIErrorCode(witName: "is-directory"), .isDirectory)
    }
}
