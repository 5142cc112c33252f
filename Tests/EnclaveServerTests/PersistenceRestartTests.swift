import EnclaveProtocol
import EnclaveServer
import Foundation
import SealedStore
import XCTest

/// Loaded apps survive a server restart (docs/sdk.md, sealed store): two servers, one after the other, on the
/// same data directory, over real TLS and a real SQLite file.
final class PersistenceRestartTests: XCTestCase {
    func testAppsAndTheirDataSurviveARestart() async throws {
        let data = try TestDataDirectory()
        let byok = PersistenceSupport.hexKey(0x42)
        let before = try await PersistenceSupport.withServer(on: data.path) { harness, client in
            try await PersistenceSupport.mustLoad("gen", on: client, extra: #","hostname":"gen.example""#)
            try await PersistenceSupport.mustLoad("own", on: client, extra: #","encryption_key":"\#(byok)""#)
            try PersistenceSupport.kv("gen", in: harness).put("greeting", Array("hello generated".utf8))
            try PersistenceSupport.kv("own", in: harness).put("greeting", Array("hello byok".utf8))
            XCTAssertTrue(harness.log.all.contains { $0.contains("sealing key: SIMULATED") }, "\(harness.log.all)")
            return try await client.management(#"{"wasm_list":{}}"#)
        }
        XCTAssertEqual(before["apps"]?.arrayValue?.count, 2, before.serializedString)
        XCTAssertTrue(FileManager.default.fileExists(atPath: data.path + "/" + SealedStore.databaseFileName))

        try await PersistenceSupport.withServer(on: data.path) { harness, client in
            let after = try await client.management(#"{"wasm_list":{}}"#)
            // Same names, hostnames, code hashes, key sources and exports, byte for byte.
            XCTAssertEqual(after.serializedString, before.serializedString)
            let sources = after["apps"]?.arrayValue?.compactMap { $0["key_source"]?.stringValue } ?? []
            XCTAssertEqual(sources.first, "generated")
            XCTAssertEqual(sources.last?.hasPrefix("byok:"), true)
            XCTAssertEqual(try PersistenceSupport.kv("gen", in: harness).get("greeting"), Array("hello generated".utf8))
            XCTAssertEqual(try PersistenceSupport.kv("own", in: harness).get("greeting"), Array("hello byok".utf8))
            XCTAssertTrue(harness.log.all.contains { $0.contains("restored 2 of 2") }, "\(harness.log.all)")
            // The restored component is callable.
            let sum = try await client.management(#"{"wasm_call":{"app":"gen","function":"add","params":[{"type":"u32","value":40},{"type":"u32","value":2}]}}"#)
            XCTAssertEqual(sum.serializedString, #"{"status":"ok","returns":[{"type":"u32","value":42}]}"#)
        }
    }

    func testMaxFuelFromLoadIsHonouredAfterRestart() async throws {
        let data = try TestDataDirectory()
        let add = #"{"wasm_call":{"app":"tiny","function":"add","params":[{"type":"u32","value":1},{"type":"u32","value":2}]}}"#
        try await PersistenceSupport.withServer(on: data.path) { harness, client in
            try await PersistenceSupport.mustLoad("tiny", on: client, extra: #","max_fuel":1"#)
            try await PersistenceSupport.mustLoad("plain", on: client)
            let starved = try await client.management(add)
            XCTAssertEqual(starved["message"]?.stringValue, "call failed: out of fuel", starved.serializedString)
        }
        // A different server default: "tiny" keeps its own max_fuel, "plain" follows the new default.
        try await PersistenceSupport.withServer(on: data.path, configure: { $0.defaultFuel = 3_000_000 }) { harness, client in
            XCTAssertEqual(harness.server.registry.app(named: "tiny")?.limits.fuel, 1)
            XCTAssertEqual(harness.server.registry.app(named: "plain")?.limits.fuel, 3_000_000)
            let starved = try await client.management(add)
            XCTAssertEqual(starved["message"]?.stringValue, "call failed: out of fuel", starved.serializedString)
        }
    }

    func testAStoredAppThatNoLongerLoadsIsSkippedLoudlyAndKept() async throws {
        let data = try TestDataDirectory()
        try await PersistenceSupport.withServer(on: data.path) { _, client in
            try await PersistenceSupport.mustLoad("good", on: client)
        }
        // Plant a record whose code is not a component, as a stricter build would see an old upload.
        do {
            let store = try SealedStore.open(dataDirectory: data.path)
            try store.addApp(AppRecord(name: "broken", code: [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0], key: .generate()))
            (store.backend as? SQLiteBackend)?.close()
        }
        try await PersistenceSupport.withServer(on: data.path) { harness, client in
            let list = try await client.management(#"{"wasm_list":{}}"#)
            XCTAssertEqual(list["apps"]?.arrayValue?.compactMap { $0["name"]?.stringValue }, ["good"])
            XCTAssertEqual(harness.server.registry.skippedAtStart.map(\.name), ["broken"])
            XCTAssertTrue(harness.log.all.contains { $0.hasPrefix("error: stored app 'broken'") && $0.contains("invalid component") },
                          "\(harness.log.all)")
            // Still stored: its name is taken until it is unloaded.
            let again = try await PersistenceSupport.load("broken", on: client)
            XCTAssertTrue(again["message"]?.stringValue?.hasPrefix("app 'broken' is already loaded") ?? false, again.serializedString)
        }
        try await PersistenceSupport.withServer(on: data.path) { harness, client in
            XCTAssertEqual(harness.server.registry.skippedAtStart.map(\.name), ["broken"], "skipped, not deleted")
            let unloaded = try await PersistenceSupport.unload("broken", on: client)
            XCTAssertEqual(unloaded, #"{"status":"unloaded","name":"broken"}"#)
            try await PersistenceSupport.mustLoad("broken", on: client)
        }
    }

    func testUnloadIsPersisted() async throws {
        let data = try TestDataDirectory()
        try await PersistenceSupport.withServer(on: data.path) { _, client in
            try await PersistenceSupport.mustLoad("a", on: client)
            try await PersistenceSupport.mustLoad("b", on: client)
            let unloaded = try await PersistenceSupport.unload("a", on: client)
            XCTAssertEqual(unloaded, #"{"status":"unloaded","name":"a"}"#)
        }
        try await PersistenceSupport.withServer(on: data.path) { _, client in
            let list = try await client.management(#"{"wasm_list":{}}"#)
            XCTAssertEqual(list["apps"]?.arrayValue?.compactMap { $0["name"]?.stringValue }, ["b"])
            let again = try await PersistenceSupport.unload("a", on: client)
            XCTAssertEqual(again, #"{"status":"not_found","name":"a"}"#)
        }
    }
}
