import EnclaveProtocol
import EnclaveServer
import Foundation
import SealedStore
import XCTest

/// What unload does to an app's key (docs/protocol.md §3, §7): generated-key data dies with the app, BYOK
/// data comes back with the same name and key. Data is written through the app's `SealedKV`
/// handle directly until the WASI filesystem is wired to it.
final class PersistenceKeyTests: XCTestCase {
    private let value = Array("secret value".utf8)

    func testGeneratedKeyDataIsUnreadableAfterUnloadAndReload() async throws {
        let data = try TestDataDirectory()
        try await PersistenceSupport.withServer(on: data.path) { harness, client in
            try await PersistenceSupport.mustLoad("app", on: client)
            let old = try PersistenceSupport.kv("app", in: harness)
            try old.put("k", value)
            let unloaded = try await PersistenceSupport.unload("app", on: client)
            XCTAssertEqual(unloaded, #"{"status":"unloaded","name":"app"}"#)
            XCTAssertThrowsError(try old.get("k"), "the old handle must be closed with its key") { error in
                XCTAssertEqual(error as? SealedStoreError, .appRemoved("app"))
            }
            try await PersistenceSupport.mustLoad("app", on: client)
            let fresh = try PersistenceSupport.kv("app", in: harness)
            XCTAssertNil(try fresh.get("k"))
            XCTAssertEqual(try fresh.count(), 0)
            try fresh.put("k2", value)
            let unloadedAgain = try await PersistenceSupport.unload("app", on: client)
            XCTAssertEqual(unloadedAgain, #"{"status":"unloaded","name":"app"}"#)
        }
        // Also after a restart: nothing of either generated key survives.
        try await PersistenceSupport.withServer(on: data.path) { harness, client in
            XCTAssertNil(harness.server.registry.app(named: "app"))
            try await PersistenceSupport.mustLoad("app", on: client)
            let kv = try PersistenceSupport.kv("app", in: harness)
            XCTAssertNil(try kv.get("k"))
            XCTAssertNil(try kv.get("k2"))
        }
    }

    func testByokDataReturnsWithTheSameKeyOnlyAlsoAfterRestart() async throws {
        let data = try TestDataDirectory()
        let key = #","encryption_key":"\#(PersistenceSupport.hexKey(0xA1))""#
        let otherKey = #","encryption_key":"\#(PersistenceSupport.hexKey(0xB2))""#
        try await PersistenceSupport.withServer(on: data.path) { harness, client in
            try await PersistenceSupport.mustLoad("vault", on: client, extra: key)
            try PersistenceSupport.kv("vault", in: harness).put("k", value)
            _ = try await PersistenceSupport.unload("vault", on: client)

            try await PersistenceSupport.mustLoad("vault", on: client, extra: key)
            XCTAssertEqual(try PersistenceSupport.kv("vault", in: harness).get("k"), value)
            _ = try await PersistenceSupport.unload("vault", on: client)

            try await PersistenceSupport.mustLoad("vault", on: client, extra: otherKey)
            XCTAssertNil(try PersistenceSupport.kv("vault", in: harness).get("k"), "another key finds nothing")
            XCTAssertEqual(try PersistenceSupport.kv("vault", in: harness).count(), 0)
            _ = try await PersistenceSupport.unload("vault", on: client)
        }
        // Unloaded before the restart: the BYOK rows stay, and the same key reads them again.
        try await PersistenceSupport.withServer(on: data.path) { harness, client in
            XCTAssertNil(harness.server.registry.app(named: "vault"))
            try await PersistenceSupport.mustLoad("vault", on: client, extra: key)
            XCTAssertEqual(try PersistenceSupport.kv("vault", in: harness).get("k"), value)
        }
    }

    func testAppsWithTheSameLogicalKeysDoNotSeeEachOther() async throws {
        let data = try TestDataDirectory()
        let key = #","encryption_key":"\#(PersistenceSupport.hexKey(0x07))""#
        try await PersistenceSupport.withServer(on: data.path) { harness, client in
            // Even with the same BYOK key, the app name is part of every derived key.
            try await PersistenceSupport.mustLoad("one", on: client, extra: key)
            try await PersistenceSupport.mustLoad("two", on: client, extra: key)
            try PersistenceSupport.kv("one", in: harness).put("k", Array("one's".utf8))
            XCTAssertNil(try PersistenceSupport.kv("two", in: harness).get("k"))
        }
    }
}
