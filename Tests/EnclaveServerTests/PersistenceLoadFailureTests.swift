import Components
import EnclaveProtocol
@testable import EnclaveServer
import Foundation
import SealedStore
import XCTest

/// A load whose record cannot be committed is not reported as loaded, and an unload the store
/// refuses leaves the app in place: the registry and the store never disagree.
final class PersistenceLoadFailureTests: XCTestCase {
    func testLoadAndUnloadFollowTheStore() throws {
        let backend = FullDiskBackend(full: false)
        let configuration = ServerConfiguration(port: 0)
        let store = try SealedStore(backend: backend, sealingKeyProvider: EphemeralSealingKey())
        let registry = AppRegistry()
        try registry.attach(store, restoring: AppRestorer(configuration: configuration))
        let service = ManagementService(registry: registry, configuration: configuration)
        let load = LoadRequest(name: "app", bytes: try WasmAppTests.guestBytes())

        backend.full = true
        let refused = service.load(load).encoded()
        let text = String(decoding: refused, as: UTF8.self)
        XCTAssertTrue(text.contains(#""status":"error""#) && text.contains("cannot persist app 'app'") && text.contains("disk is full"), text)
        XCTAssertFalse(registry.contains("app"), "a load that failed to persist must not be loaded")
        XCTAssertNil(try store.app(named: "app"))

        backend.full = false
        let loaded = String(decoding: service.load(load).encoded(), as: UTF8.self)
        XCTAssertTrue(loaded.hasPrefix(#"{"status":"loaded""#), loaded)
        XCTAssertNotNil(try store.app(named: "app"))

        backend.full = true
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
