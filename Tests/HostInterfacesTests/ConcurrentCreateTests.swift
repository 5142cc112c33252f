import Foundation
import XCTest
@testable import HostInterfaces
import SealedStore

/// Two calls (on one node or on two nodes over one database) creating the same file: the one
/// whose lookup found nothing must not replace what the other created and wrote meanwhile.
final class ConcurrentCreateTests: XCTestCase {
    private let rw: DescriptorFlags = [.read, .write]

    func testCreateAfterAStaleLookupKeepsTheOtherCallsAcknowledgedWrite() throws {
        let (late, root, store) = try lateCreatorRacingAnotherCall(writing: "theirs")
        let fd = try late.openAt(root, path: "f", openFlags: .create, flags: rw)
        XCTAssertEqual(try read(store, "f"), "theirs", "the other call's acknowledged write survives the late create")
        XCTAssertEqual(try late.read(fd, length: 100, offset: 0).bytes, Array("theirs".utf8), "the late call sees it too")
        try late.dropDescriptor(fd)
        XCTAssertEqual(try read(store, "f"), "theirs")
    }

    func testTruncatingCreateAfterAStaleLookupNeverShowsAnEmptyFile() throws {
        let (late, root, store) = try lateCreatorRacingAnotherCall(writing: "theirs")
        let fd = try late.openAt(root, path: "f", openFlags: [.create, .truncate], flags: rw)
        // The truncation is buffered like any other: readers see one whole value at every moment.
        XCTAssertEqual(try read(store, "f"), "theirs")
        XCTAssertEqual(try late.read(fd, length: 100, offset: 0).bytes, [], "the late call sees its own truncation")
        XCTAssertEqual(try late.write(fd, Array("mine".utf8), offset: 0), 4)
        try late.dropDescriptor(fd)
        XCTAssertEqual(try read(store, "f"), "mine")
    }

    func testCreateOfANewFileStillStoresItAtOnce() throws {
        let backend = InMemoryBackend(), key = AppKey.generate()
        let session = WASISession(kv: try makeKV(backend: backend, key: key))
        let root = try XCTUnwrap(session.preopens().first?.rep)
        let fd = try session.openAt(root, path: "new", openFlags: .create, flags: rw)
        let observer = WASISession(kv: try makeKV(backend: backend, key: key))
        let observerRoot = try XCTUnwrap(observer.preopens().first?.rep)
        XCTAssertEqual(try observer.statAt(observerRoot, path: "new").size, 0)
        XCTAssertNotNil(try observer.statAt(observerRoot, path: "new").times, "created with its times")
        try session.dropDescriptor(fd)
    }

    /// A session whose first lookup that finds nothing lets another call create `f` and write
    /// `text` (acknowledged) before the lookup returns, as a concurrent call would.
    private func lateCreatorRacingAnotherCall(writing text: String) throws -> (WASISession, UInt32, ReadBack) {
        let inner = InMemoryBackend(), key = AppKey.generate()
        let racing = InterleavingBackend(inner)
        let store = ReadBack(backend: inner, key: key)
        racing.afterMissingLookup = {
            let other = WASISession(kv: try makeKV(backend: inner, key: key))
            let root = try XCTUnwrap(other.preopens().first?.rep)
            let fd = try other.openAt(root, path: "f", openFlags: [.create, .truncate], flags: [.read, .write])
            _ = try other.write(fd, Array(text.utf8), offset: 0)
            try other.dropDescriptor(fd)
            XCTAssertEqual(try self.read(store, "f"), text)
        }
        let late = WASISession(kv: try SealedKV(appName: "app", appKey: key, backend: racing))
        return (late, try XCTUnwrap(late.preopens().first?.rep), store)
    }

    private struct ReadBack {
        let backend: InMemoryBackend
        let key: AppKey
    }

    /// The file's contents as a new call reads them.
    private func read(_ store: ReadBack, _ path: String) throws -> String {
        let session = WASISession(kv: try makeKV(backend: store.backend, key: store.key))
        let root = try XCTUnwrap(session.preopens().first?.rep)
        let fd = try session.openAt(root, path: path, openFlags: [], flags: .read)
        defer { try? session.dropDescriptor(fd) }
        return String(decoding: try session.read(fd, length: 1 << 20, offset: 0).bytes, as: UTF8.self)
    }
}

/// A real backend whose first read that finds no row runs `afterMissingLookup` before
/// answering: another writer's whole call lands between a lookup and what follows it.
private final class InterleavingBackend: StorageBackend, @unchecked Sendable {
    // @unchecked: `afterMissingLookup` is only read and cleared under `lock`.
    private let inner: InMemoryBackend
    private let lock = NSLock()
    var afterMissingLookup: (() throws -> Void)?

    init(_ inner: InMemoryBackend) { self.inner = inner }

    func value(namespace: [UInt8], name: [UInt8]) throws -> [UInt8]? {
        let found = try inner.value(namespace: namespace, name: name)
        if found == nil, let hook = lock.withLock({ () -> (() throws -> Void)? in
            defer { afterMissingLookup = nil }
            return afterMissingLookup
        }) {
            try hook()
        }
        return found
    }

    func apply(namespace: [UInt8], writes: [StorageWrite]) throws { try inner.apply(namespace: namespace, writes: writes) }
    func names(namespace: [UInt8]) throws -> [StoredName] { try inner.names(namespace: namespace) }
    func count(namespace: [UInt8]) throws -> Int { try inner.count(namespace: namespace) }
    func usage(namespace: [UInt8]) throws -> StorageUsage { try inner.usage(namespace: namespace) }
    func storedSize(namespace: [UInt8], name: [UInt8]) throws -> Int? { try inner.storedSize(namespace: namespace, name: name) }
    func appRecord(id: [UInt8]) throws -> [UInt8]? { try inner.appRecord(id: id) }
    func putAppRecord(id: [UInt8], record: [UInt8]) throws { try inner.putAppRecord(id: id, record: record) }
    func allAppRecords() throws -> [(id: [UInt8], record: [UInt8])] { try inner.allAppRecords() }
    func removeApp(id: [UInt8], deletingNamespace namespace: [UInt8]?) throws -> Bool {
        try inner.removeApp(id: id, deletingNamespace: namespace)
    }
}
