import XCTest
@testable import HostInterfaces
import SealedStore

final class SealedFileSystemTests: XCTestCase {
    private var backend: InMemoryBackend!
    private var key: AppKey!

    override func setUp() {
        backend = InMemoryBackend()
        key = AppKey.generate()
    }

    /// A new call's session on the same app store.
    private func session(_ configuration: WASISession.Configuration = .init(),
                         log: @escaping (WASISession.OutputChannel, String) -> Void = { _, _ in }) throws -> (WASISession, UInt32) {
        let session = WASISession(kv: try makeKV(backend: backend, key: key), configuration: configuration, log: log)
        let preopens = try session.preopens()
        XCTAssertEqual(preopens.map(\.path), ["/"])
        return (session, try XCTUnwrap(preopens.first?.rep))
    }

    private let rw: DescriptorFlags = [.read, .write]

    private func writeFile(_ s: WASISession, _ root: UInt32, _ path: String, _ text: String) throws {
        let fd = try s.openAt(root, path: path, openFlags: [.create, .truncate], flags: rw)
        XCTAssertEqual(try s.write(fd, Array(text.utf8), offset: 0), UInt64(text.utf8.count))
        try s.dropDescriptor(fd)
    }

    private func readFile(_ s: WASISession, _ root: UInt32, _ path: String) throws -> String {
        let fd = try s.openAt(root, path: path, openFlags: [], flags: .read)
        defer { try? s.dropDescriptor(fd) }
        let (bytes, eof) = try s.read(fd, length: 1 << 20, offset: 0)
        XCTAssertTrue(eof)
        return String(decoding: bytes, as: UTF8.self)
    }

    func testWriteReadPersistsAcrossSessions() throws {
        let (first, root) = try session()
        try writeFile(first, root, "hello.txt", "hello, sealed world")
        try first.finish()
        let (second, root2) = try session()
        XCTAssertEqual(try readFile(second, root2, "hello.txt"), "hello, sealed world")
        let stat = try second.statAt(root2, path: "hello.txt")
        XCTAssertEqual(stat.type, .file)
        XCTAssertEqual(stat.size, 19)
        XCTAssertNotNil(stat.times, "the write recorded times (FileTimesTests covers them)")
        // Stored under the documented key, and only as ciphertext.
        XCTAssertEqual(try makeKV(backend: backend, key: key).get("fs:/hello.txt").map { String(decoding: $0, as: UTF8.self) },
                       "hello, sealed world")
    }

    func testReadAtOffsetsAndSparseWrite() throws {
        let (s, root) = try session()
        let fd = try s.openAt(root, path: "f", openFlags: .create, flags: rw)
        XCTAssertEqual(try s.write(fd, [1, 2, 3], offset: 5), 3)
        let (all, eof) = try s.read(fd, length: 100, offset: 0)
        XCTAssertEqual(all, [0, 0, 0, 0, 0, 1, 2, 3])
        XCTAssertTrue(eof)
        let (middle, notEnd) = try s.read(fd, length: 2, offset: 5)
        XCTAssertEqual(middle, [1, 2])
        XCTAssertFalse(notEnd)
        XCTAssertEqual(try s.read(fd, length: 10, offset: 100).bytes, [])
        try s.setSize(fd, 2)
        XCTAssertEqual(try s.stat(fd).size, 2)
    }

    func testDroppedDirtyDescriptorIsFlushedAndSyncPersists() throws {
        let (s, root) = try session()
        let fd = try s.openAt(root, path: "d.txt", openFlags: .create, flags: rw)
        _ = try s.write(fd, Array("abc".utf8), offset: 0)
        // Not yet written back: another session (another call) sees the empty file.
        XCTAssertEqual(try session().0.statAt(1, path: "d.txt").size, 0)
        try s.sync(fd)
        XCTAssertEqual(try session().0.statAt(1, path: "d.txt").size, 3)
        _ = try s.write(fd, Array("defg".utf8), offset: 3)
        try s.dropDescriptor(fd)
        let (t, r) = try session()
        XCTAssertEqual(try readFile(t, r, "d.txt"), "abcdefg")
    }

    func testOpenFlags() throws {
        let (s, root) = try session()
        assertCode(.noEntry, try s.openAt(root, path: "missing", openFlags: [], flags: .read))
        try writeFile(s, root, "f", "data")
        assertCode(.exist, try s.openAt(root, path: "f", openFlags: [.create, .exclusive], flags: rw))
        assertCode(.notDirectory, try s.openAt(root, path: "f", openFlags: .directory, flags: .read))
        assertCode(.invalid, try s.openAt(root, path: "f", openFlags: .truncate, flags: .read))
        assertCode(.invalid, try s.openAt(root, path: "new", openFlags: [.create, .directory], flags: .read))
        let fd = try s.openAt(root, path: "f", openFlags: .truncate, flags: rw)
        XCTAssertEqual(try s.stat(fd).size, 0)
        try s.createDirectoryAt(root, path: "dir")
        assertCode(.isDirectory, try s.openAt(root, path: "dir", openFlags: [], flags: rw))
        assertCode(.exist, try s.openAt(root, path: "dir", openFlags: [.create, .exclusive], flags: .read))
        let dir = try s.openAt(root, path: "dir", openFlags: .directory, flags: .read)
        XCTAssertEqual(try s.type(dir), .directory)
        // Read-only and write-only descriptors refuse the other direction.
        let ro = try s.openAt(root, path: "f", openFlags: [], flags: .read)
        assertCode(.badDescriptor, try s.write(ro, [1], offset: 0))
        let wo = try s.openAt(root, path: "f", openFlags: [], flags: .write)
        assertCode(.badDescriptor, try s.read(wo, length: 1, offset: 0))
        assertCode(.isDirectory, try s.read(dir, length: 1, offset: 0))
        assertCode(.notDirectory, try s.openAt(ro, path: "x", openFlags: .create, flags: rw))
    }

    func testDirectories() throws {
        let (s, root) = try session()
        assertCode(.noEntry, try s.openAt(root, path: "nodir/f.txt", openFlags: .create, flags: rw), "file under a missing directory")
        assertCode(.noEntry, try s.createDirectoryAt(root, path: "a/b"))
        try s.createDirectoryAt(root, path: "a")
        try s.createDirectoryAt(root, path: "a/b")
        assertCode(.exist, try s.createDirectoryAt(root, path: "a"))
        try writeFile(s, root, "a/one.txt", "1")
        try writeFile(s, root, "a/b/deep.txt", "2")
        try writeFile(s, root, "top.txt", "3")
        try writeFile(s, root, "ab", "prefix sibling of a/")
        assertCode(.notDirectory, try s.createDirectoryAt(root, path: "top.txt/x"))

        func list(_ path: String) throws -> [String] {
            let dir = try path == "." ? root : s.openAt(root, path: path, openFlags: .directory, flags: .read)
            let stream = try s.readDirectory(dir)
            var names: [String] = []
            while let entry = try s.readDirectoryEntry(stream) { names.append("\(entry.name):\(entry.type)") }
            return names
        }
        XCTAssertEqual(try list("."), ["a:directory", "ab:file", "top.txt:file"])
        XCTAssertEqual(try list("a"), ["b:directory", "one.txt:file"])
        XCTAssertEqual(try list("a/b"), ["deep.txt:file"])

        // Relative to a subdirectory descriptor.
        let a = try s.openAt(root, path: "a", openFlags: .directory, flags: .read)
        XCTAssertEqual(try s.statAt(a, path: "b/deep.txt").size, 1)
        assertCode(.notPermitted, try s.statAt(a, path: "../top.txt"))

        assertCode(.notEmpty, try s.removeDirectoryAt(root, path: "a/b"))
        assertCode(.notDirectory, try s.removeDirectoryAt(root, path: "top.txt"))
        assertCode(.isDirectory, try s.unlinkFileAt(root, path: "a/b"))
        try s.unlinkFileAt(root, path: "a/b/deep.txt")
        assertCode(.noEntry, try s.unlinkFileAt(root, path: "a/b/deep.txt"))
        assertCode(.noEntry, try s.statAt(root, path: "a/b/deep.txt"))
        try s.removeDirectoryAt(root, path: "a/b")
        assertCode(.noEntry, try s.statAt(root, path: "a/b"))
        assertCode(.noEntry, try s.removeDirectoryAt(root, path: "a/b"))
        XCTAssertEqual(try list("a"), ["one.txt:file"])
    }

    func testEscapesRejectedThroughDescriptors() throws {
        let (s, root) = try session()
        for path in ["../x", "/etc/passwd", "/abs/../..", "a/../../b"] {
            assertCode(.notPermitted, try s.openAt(root, path: path, openFlags: .create, flags: rw), path)
            assertCode(.notPermitted, try s.statAt(root, path: path), path)
            assertCode(.notPermitted, try s.createDirectoryAt(root, path: path), path)
        }
    }

    func testStreamsPersistAndAppend() throws {
        let (s, root) = try session()
        let fd = try s.openAt(root, path: "log.txt", openFlags: .create, flags: rw)
        let out = try s.writeViaStream(fd, offset: 0)
        XCTAssertEqual(try s.checkWrite(out).get(), WASISession.maxWriteBytes)
        try s.streamWrite(out, Array("first ".utf8)).get()
        try s.streamWrite(out, Array("line\n".utf8)).get()
        try s.dropDescriptor(fd)                    // the stream keeps the file open
        try s.dropOutputStream(out)                 // last holder: written back
        let (t, r) = try session()
        XCTAssertEqual(try readFile(t, r, "log.txt"), "first line\n")
        let fd2 = try t.openAt(r, path: "log.txt", openFlags: [], flags: rw)
        let app = try t.appendViaStream(fd2)
        try t.streamWrite(app, Array("second\n".utf8)).get()
        try t.streamFlush(app).get()                // flush persists without a drop
        XCTAssertEqual(try readFile(try session().0, 1, "log.txt"), "first line\nsecond\n")
        let input = try t.readViaStream(fd2, offset: 6)
        XCTAssertEqual(try t.streamRead(input, length: 4).get(), Array("line".utf8))
        XCTAssertEqual(try t.streamSkip(input, length: 1).get(), 1)
        XCTAssertEqual(try t.streamRead(input, length: 100).get(), Array("second\n".utf8))
        XCTAssertEqual(try t.streamRead(input, length: 1), .failure(.closed))
    }

    func testFinishFlushesEverythingStillOpen() throws {
        let (s, root) = try session()
        let fd = try s.openAt(root, path: "open.txt", openFlags: .create, flags: rw)
        _ = try s.write(fd, Array("kept".utf8), offset: 0)
        try s.finish()
        XCTAssertEqual(s.descriptors.count, 0)
        let (t, r) = try session()
        XCTAssertEqual(try readFile(t, r, "open.txt"), "kept")
    }

    func testUnlinkedOpenFileIsNotResurrected() throws {
        let (s, root) = try session()
        let fd = try s.openAt(root, path: "gone", openFlags: .create, flags: rw)
        try s.unlinkFileAt(root, path: "gone")
        _ = try s.write(fd, [1, 2, 3], offset: 0)
        XCTAssertEqual(try s.read(fd, length: 3, offset: 0).bytes, [1, 2, 3])
        try s.dropDescriptor(fd)
        try s.finish()
        assertCode(.noEntry, try session().0.statAt(1, path: "gone"))
    }

    func testRename() throws {
        let (s, root) = try session()
        try s.createDirectoryAt(root, path: "d")
        try s.createDirectoryAt(root, path: "d/sub")
        try writeFile(s, root, "d/sub/x", "x")
        try writeFile(s, root, "f", "f")
        try s.renameAt(root, oldPath: "f", newDirectory: root, newPath: "d/g")
        assertCode(.noEntry, try s.statAt(root, path: "f"))
        XCTAssertEqual(try readFile(s, root, "d/g"), "f")
        try s.renameAt(root, oldPath: "d", newDirectory: root, newPath: "e")
        XCTAssertEqual(try readFile(s, root, "e/sub/x"), "x")
        assertCode(.noEntry, try s.statAt(root, path: "d"))
        assertCode(.invalid, try s.renameAt(root, oldPath: "e", newDirectory: root, newPath: "e/sub/in"))
    }

    func testCapsAreEnforced() throws {
        var configuration = WASISession.Configuration()
        configuration.fileSystem = .init(maxFileBytes: 1000, maxCachedBytes: 1500, maxReadBytes: 10)
        configuration.maxHandlesPerKind = 3
        let (s, root) = try session(configuration)
        let fd = try s.openAt(root, path: "big", openFlags: .create, flags: rw)
        assertCode(.fileTooLarge, try s.write(fd, [UInt8](repeating: 1, count: 1001), offset: 0))
        assertCode(.fileTooLarge, try s.write(fd, [1], offset: 1000))
        assertCode(.fileTooLarge, try s.write(fd, [1], offset: UInt64.max))
        _ = try s.write(fd, [UInt8](repeating: 1, count: 1000), offset: 0)
        XCTAssertEqual(try s.read(fd, length: 1000, offset: 0).bytes.count, 10, "reads are capped per call")
        let other = try s.openAt(root, path: "other", openFlags: .create, flags: rw)
        assertCode(.insufficientMemory, try s.write(other, [UInt8](repeating: 2, count: 600), offset: 0))
        assertCode(.insufficientMemory, try s.openAt(root, path: "third", openFlags: .create, flags: rw), "descriptor table full")
    }

    func testReadOnlyDirectoryDescriptor() throws {
        let (s, root) = try session()
        try s.createDirectoryAt(root, path: "d")
        let session2 = WASISession(kv: try makeKV(backend: backend, key: key))
        // A directory descriptor without mutate-directory (built directly: preopens are mutable).
        let ro = try session2.descriptors.insert(.init(target: .directory(.root), flags: .read))
        assertCode(.readOnly, try session2.createDirectoryAt(ro, path: "x"))
        assertCode(.readOnly, try session2.openAt(ro, path: "y", openFlags: .create, flags: rw))
        let child = try session2.openAt(ro, path: "d", openFlags: .directory, flags: [.read, .mutateDirectory])
        XCTAssertFalse(try session2.flags(child).contains(.mutateDirectory), "no escalation through open-at")
    }

    func testNoStoreMeansNoPreopens() throws {
        XCTAssertTrue(try WASISession(kv: nil).preopens().isEmpty)
    }
}
