import Components
import EnclaveProtocol
@testable import EnclaveServer
import Foundation
import SealedStore
import Synchronization
import XCTest

/// A load whose record cannot be committed is not reported as loaded, and an unload the store
/// refuses leaves the app in place: the registry and the store never disagree.
final class PersistenceLoadFailureTests: XCTestCase {
    /// An in-memory backend whose app-record writes fail on demand, as a full disk would.
    private final class FlakyBackend: StorageBackend, Sendable {
        let inner = InMemoryBackend()
        private let failing = Mutex(false)
        var failRecordWrites: Bool {
            get { failing.withLock { $0 } }
            set { failing.withLock { $0 = newValue } }
        }
        private func check(_ operation: String) throws {
            if failRecordWrites { throw SealedStoreError.backend(operation: operation, code: 13, message: "database or disk is full") }
        }
        func value(namespace: [UInt8], name: [UInt8]) throws -> [UInt8]? { try inner.value(namespace: namespace, name: name) }
        func apply(namespace: [UInt8], writes: [StorageWrite]) throws { try inner.apply(namespace: namespace, writes: writes) }
        func names(namespace: [UInt8]) throws -> [StoredName] { try inner.names(namespace: namespace) }
        func count(namespace: [UInt8]) throws -> Int { try inner.count(namespace: namespace) }
        func appRecord(id: [UInt8]) throws -> [UInt8]? { try inner.appRecord(id: id) }
        func putAppRecord(id: [UInt8], record: [UInt8]) throws {
            try check("put app record")
            try inner.putAppRecord(id: id, record: record)
        }
        func allAppRecords() throws -> [(id: [UInt8], record: [UInt8])] { try inner.allAppRecords() }
        func removeApp(id: [UInt8], deletingNamespace namespace: [UInt8]?) throws -> Bool {
            try check("remove app")
            return try inner.removeApp(id: id, deletingNamespace: namespace)
        }
    }

    func testLoadAndUnloadFollowTheStore() throws {
        let backend = FlakyBackend()
        let configuration = ServerConfiguration(port: 0)
        let store = try SealedStore(backend: backend, sealingKeyProvider: EphemeralSealingKey())
        let registry = AppRegistry()
        try registry.attach(store, restoring: AppRestorer(configuration: configuration))
        let service = ManagementService(registry: registry, configuration: configuration)
        let load = LoadRequest(name: "app", bytes: try WasmAppTests.guestBytes())

        backend.failRecordWrites = true
        let refused = service.load(load).encoded()
        let text = String(decoding: refused, as: UTF8.self)
        XCTAssertTrue(text.contains(#""status":"error""#) && text.contains("cannot persist app 'app'") && text.contains("disk is full"), text)
        XCTAssertFalse(registry.contains("app"), "a load that failed to persist must not be loaded")
        XCTAssertNil(try store.app(named: "app"))

        backend.failRecordWrites = false
        let loaded = String(decoding: service.load(load).encoded(), as: UTF8.self)
        XCTAssertTrue(loaded.hasPrefix(#"{"status":"loaded""#), loaded)
        XCTAssertNotNil(try store.app(named: "app"))

        backend.failRecordWrites = true
        guard case .respond(let response) = service.handle(.unload(name: "app")) else { return XCTFail("unload must respond") }
        let unload = String(decoding: response.encoded(), as: UTF8.self)
        XCTAssertTrue(unload.contains("cannot persist app 'app'"), unload)
        XCTAssertTrue(registry.contains("app"), "a refused unload leaves the app loaded")
        XCTAssertNotNil(try store.app(named: "app"))
    }

    func testRegistryWithoutAStoreRefusesLoads() throws {
        let registry = AppRegistry()
        let service = ManagementService(registry: registry, configuration: ServerConfiguration(port: 0))
        let reply = String(decoding: service.load(LoadRequest(name: "app", bytes: try WasmAppTests.guestBytes())).encoded(), as: UTF8.self)
        XCTAssertTrue(reply.contains("no sealed store"), reply)
    }
}
