@_spi(Benchmark) import Components
import EnclaveProtocol
@testable import EnclaveServer
import Foundation
import SealedStore
import XCTest

/// What constructors write while an instance is made (docs/instantiation.md): the instantiation
/// at load runs over the app's real store, so a BYOK app sees its data then and what it writes
/// is kept; under a generated key, what a failed load wrote is deleted. The guest
/// (Guests/c-wasi-files, variant c-wasi-ctor-writes) appends one byte to /instantiations in its
/// constructor, and holds wasi-libc's preopen handle, so every call instantiates it afresh.
final class InstantiationWritesTests: XCTestCase {
    private static let guest = "Guests/c-wasi-files/c-wasi-ctor-writes.wasm"
    private static let key = String(repeating: "5a", count: 32)

    private func instantiations(_ client: RawTLSClient) async throws -> String {
        try await client.management(#"{"wasm_call":{"app":"w","function":"file-size","params":[{"type":"string","value":"/instantiations"}]}}"#).serializedString
    }

    private func sized(_ count: Int) -> String {
        #"{"status":"ok","returns":[{"type":"result","value":{"ok":{"type":"u64","value":\#(count)}}}]}"#
    }

    func testConstructorWritesAtLoadAreKeptAndBYOKDataIsVisible() async throws {
        let data = try TestDataDirectory()
        let bytes = Data(try GuestFiles.bytes(Self.guest)).base64EncodedString()
        let load = #"{"wasm_load":{"name":"w","bytes":"\#(bytes)","encryption_key":"\#(Self.key)"}}"#
        try await PersistenceSupport.withServer(on: data.path) { _, client in
            let loaded = try await client.management(load)
            XCTAssertEqual(loaded["status"]?.stringValue, "loaded", loaded.serializedString)
            // The instantiation at load wrote one byte; the call's own instantiation another.
            let first = try await self.instantiations(client)
            XCTAssertEqual(first, self.sized(2))
            let second = try await self.instantiations(client)
            XCTAssertEqual(second, self.sized(3))
            // BYOK rows stay after an unload; the next load's constructor sees and extends them.
            let unloaded = try await client.management(#"{"wasm_unload":{"name":"w"}}"#)
            XCTAssertEqual(unloaded["status"]?.stringValue, "unloaded", unloaded.serializedString)
            let reloaded = try await client.management(load)
            XCTAssertEqual(reloaded["status"]?.stringValue, "loaded", reloaded.serializedString)
            let afterReload = try await self.instantiations(client)
            XCTAssertEqual(afterReload, self.sized(5))
        }
        // A restart restores the app, instantiating it once more.
        try await PersistenceSupport.withServer(on: data.path) { _, client in
            let afterRestart = try await self.instantiations(client)
            XCTAssertEqual(afterRestart, self.sized(7))
        }
    }

    func testWhatAFailedLoadWroteUnderAGeneratedKeyIsDeleted() throws {
        let backend = FullDiskBackend(full: true)
        var configuration = ServerConfiguration(port: 0)
        configuration.log = { _ in }
        let registry = AppRegistry()
        try registry.attach(try SealedStore(backend: backend, sealingKeyProvider: EphemeralSealingKey()),
                            restoring: AppRestorer(configuration: configuration))
        let service = ManagementService(registry: registry, configuration: configuration)
        let request = LoadRequest(name: "w", bytes: try GuestFiles.bytes(Self.guest))

        let refused = String(decoding: service.load(request).encoded(), as: UTF8.self)
        XCTAssertTrue(refused.contains("cannot persist app 'w'"), refused)
        XCTAssertTrue(backend.inner.rawRows().isEmpty, "the constructor's file under the lost generated key must be deleted")

        backend.full = false
        let loaded = String(decoding: service.load(request).encoded(), as: UTF8.self)
        XCTAssertTrue(loaded.hasPrefix(#"{"status":"loaded""#), loaded)
        XCTAssertFalse(backend.inner.rawRows().isEmpty, "a successful load keeps what its constructor wrote")
    }
}

/// `fresh_instances` (per app, stored with it) and `--fresh-instances` (server) turn instance
/// reuse off; by default a guest that allows it reuses reset instances.
final class FreshInstancesOptionTests: XCTestCase {
    private func service(_ store: SealedStore, fresh: Bool) throws -> (ManagementService, AppRegistry) {
        var configuration = ServerConfiguration(port: 0)
        configuration.freshInstances = fresh
        configuration.log = { _ in }
        let registry = AppRegistry()
        try registry.attach(store, restoring: AppRestorer(configuration: configuration))
        return (ManagementService(registry: registry, configuration: configuration), registry)
    }

    func testPerAppChoiceIsStoredAndTheServerOptionAppliesToEveryApp() throws {
        let backend = InMemoryBackend()
        let sealing = EphemeralSealingKey()
        let bytes = try GuestFiles.bytes("Guests/test-guest/test-guest.wasm")
        do {
            let (service, registry) = try service(try SealedStore(backend: backend, sealingKeyProvider: sealing), fresh: false)
            _ = service.load(LoadRequest(name: "reused", bytes: bytes))
            _ = service.load(LoadRequest(name: "fresh", bytes: bytes, freshInstances: true))
            XCTAssertEqual(registry.app(named: "reused")?.component.reusesInstances, true)
            XCTAssertEqual(registry.app(named: "fresh")?.component.reusesInstances, false)
            registry.detachStore()
        }
        // Restored from the same store: the app's choice holds; the server option covers the rest.
        let (_, restored) = try service(try SealedStore(backend: backend, sealingKeyProvider: sealing), fresh: false)
        XCTAssertEqual(restored.app(named: "fresh")?.component.reusesInstances, false)
        XCTAssertEqual(restored.app(named: "reused")?.component.reusesInstances, true)
        let (_, everyApp) = try service(try SealedStore(backend: backend, sealingKeyProvider: sealing), fresh: true)
        XCTAssertEqual(everyApp.app(named: "reused")?.component.reusesInstances, false)
    }
}
