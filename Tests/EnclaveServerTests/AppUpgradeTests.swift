import EnclaveProtocol
import EnclaveServer
import Foundation
import XCTest

/// `wasm_load` with `"replace": true`: a new version under the same name keeps the app's key and
/// sealed data, across a restart; a version that fails validation leaves the old one serving.
/// The data is written by the reference app (Embedded Swift) and read back by a C component
/// (clang + wasi-libc) that replaces it: two toolchains, one sealed store.
final class AppUpgradeTests: XCTestCase {
    private static let reference = "Guests/wasm-app-example/wasm-app-example.wasm"
    private static let cFiles = "Guests/c-wasi-files/c-wasi-files.wasm"

    private func load(_ path: String, as name: String, on client: RawTLSClient, extra: String = "") async throws -> JSON {
        let encoded = Data(try GuestFiles.bytes(path)).base64EncodedString()
        return try await client.management(#"{"wasm_load":{"name":"\#(name)","bytes":"\#(encoded)"\#(extra)}}"#)
    }

    private func call(_ app: String, _ function: String, _ params: String, on client: RawTLSClient) async throws -> JSON {
        try await client.management(#"{"wasm_call":{"app":"\#(app)","function":"\#(function)","params":[\#(params)]}}"#)
    }

    private func codeHash(_ reply: JSON) -> String? { reply["app"]?["code_hash"]?.stringValue }

    func testReplaceKeepsKeyAndDataAcrossARestart() async throws {
        let data = try TestDataDirectory()
        let newHash = try await PersistenceSupport.withServer(on: data.path) { harness, client in
            let first = try await load(Self.reference, as: "notes", on: client, extra: #","hostname":"notes.example""#)
            XCTAssertEqual(first["status"]?.stringValue, "loaded", first.serializedString)
            let stored = try await call("notes", "kv-store", #"{"type":"string","value":"greeting"},{"type":"string","value":"kept across versions"}"#,
                                        on: client)
            XCTAssertEqual(stored["status"]?.stringValue, "ok", stored.serializedString)

            let replaced = try await load(Self.cFiles, as: "notes", on: client, extra: #","replace":true"#)
            XCTAssertEqual(replaced["status"]?.stringValue, "loaded", replaced.serializedString)
            XCTAssertNotEqual(codeHash(replaced), codeHash(first))
            XCTAssertEqual(replaced["app"]?["hostname"]?.stringValue, "notes.example", "fields left out keep their stored values")
            XCTAssertEqual(replaced["app"]?["key_source"]?.stringValue, "generated")
            XCTAssertTrue(harness.log.all.contains { $0.contains("replaced app 'notes': code_hash \(codeHash(first) ?? "?") -> ") },
                          "\(harness.log.all)")

            let read = try await call("notes", "read-file", #"{"type":"string","value":"greeting"}"#, on: client)
            XCTAssertTrue(read.serializedString.contains("kept across versions"), read.serializedString)
            return try XCTUnwrap(codeHash(replaced))
        }
        try await PersistenceSupport.withServer(on: data.path) { harness, client in
            XCTAssertEqual(harness.server.registry.app(named: "notes")?.codeHash, newHash, "the new version is what restarts")
            let read = try await call("notes", "read-file", #"{"type":"string","value":"greeting"}"#, on: client)
            XCTAssertTrue(read.serializedString.contains("kept across versions"), read.serializedString)
        }
    }

    func testAFailedReplaceLeavesTheOldVersionServing() async throws {
        try await PersistenceSupport.withServer(on: try TestDataDirectory().path) { harness, client in
            let first = try await load(Self.reference, as: "notes", on: client)
            _ = try await call("notes", "kv-store", #"{"type":"string","value":"k"},{"type":"string","value":"v1"}"#, on: client)
            let garbage = Data([0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00, 0xFF]).base64EncodedString()
            let refused = try await client.management(#"{"wasm_load":{"name":"notes","bytes":"\#(garbage)","replace":true}}"#)
            let message = try XCTUnwrap(refused["message"]?.stringValue, refused.serializedString)
            XCTAssertTrue(message.hasPrefix("invalid component: "), message)
            XCTAssertTrue(message.hasSuffix("app 'notes' keeps serving code_hash \(codeHash(first) ?? "?")"), message)
            XCTAssertEqual(harness.server.registry.app(named: "notes")?.codeHash, codeHash(first))
            let read = try await call("notes", "kv-read", #"{"type":"string","value":"k"}"#, on: client)
            XCTAssertTrue(read.serializedString.contains("v1"), read.serializedString)

            // The key cannot change in a replace: the stored data could not be read.
            let otherKey = try await load(Self.reference, as: "notes", on: client,
                                          extra: #","replace":true,"encryption_key":"\#(PersistenceSupport.hexKey(7))""#)
            XCTAssertTrue(otherKey["message"]?.stringValue?.hasPrefix("wasm_load.encryption_key: a replace keeps the app's key") ?? false,
                          otherKey.serializedString)
        }
    }

    func testReplaceOfAnUnknownNameIsAnOrdinaryLoadAndCallsSeeOneVersionOrTheOther() async throws {
        try await PersistenceSupport.withServer(on: try TestDataDirectory().path) { harness, client in
            let fresh = try await load(Self.reference, as: "fresh", on: client, extra: #","replace":true"#)
            XCTAssertEqual(fresh["status"]?.stringValue, "loaded", fresh.serializedString)
            _ = try await call("fresh", "kv-store", #"{"type":"string","value":"k"},{"type":"string","value":"value"}"#, on: client)

            // Calls on another connection while the app is replaced back and forth: each is
            // answered by a complete version (the reference app's kv-read, or the C app's
            // read-file is unknown to the other and refused cleanly), never by a half-loaded one.
            let caller = try await harness.connect()
            let calls = Task {
                var answers: [String] = []
                for _ in 0..<40 {
                    let reply = try await caller.management(#"{"wasm_call":{"app":"fresh","function":"kv-read","params":[{"type":"string","value":"k"}]}}"#)
                    answers.append(reply.serializedString)
                }
                return answers
            }
            for round in 0..<4 {
                let path = round % 2 == 0 ? Self.cFiles : Self.reference
                let replaced = try await load(path, as: "fresh", on: client, extra: #","replace":true"#)
                XCTAssertEqual(replaced["status"]?.stringValue, "loaded", replaced.serializedString)
            }
            for answer in try await calls.value {
                let oldVersion = answer.contains("value")
                let newVersion = answer.contains("has no export 'kv-read'")
                XCTAssertTrue(oldVersion || newVersion, answer)
            }
            await caller.close()
        }
    }
}
