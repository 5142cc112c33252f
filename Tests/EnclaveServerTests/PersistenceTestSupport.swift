import EnclaveProtocol
import EnclaveServer
import Foundation
import SealedStore
import XCTest

/// Helpers shared by the Persistence* tests: one server at a time on a data directory the test
/// keeps across restarts.
enum PersistenceSupport {
    /// A BYOK key as 64 hex characters, one repeated byte.
    static func hexKey(_ byte: UInt8) -> String {
        String(repeating: String(format: "%02x", byte), count: 32)
    }

    /// `wasm_load` of the committed test guest under `name`; `extra` is appended inside the object.
    static func load(_ name: String, on client: RawTLSClient, extra: String = "") async throws -> JSON {
        let encoded = Data(try WasmAppTests.guestBytes()).base64EncodedString()
        return try await client.management(#"{"wasm_load":{"name":"\#(name)","bytes":"\#(encoded)"\#(extra)}}"#)
    }

    /// `wasm_load` that must succeed.
    static func mustLoad(_ name: String, on client: RawTLSClient, extra: String = "",
                         file: StaticString = #filePath, line: UInt = #line) async throws {
        let reply = try await load(name, on: client, extra: extra)
        XCTAssertEqual(reply["status"]?.stringValue, "loaded", reply.serializedString, file: file, line: line)
    }

    /// `wasm_unload`'s whole answer.
    static func unload(_ name: String, on client: RawTLSClient) async throws -> String {
        try await client.management(#"{"wasm_unload":{"name":"\#(name)"}}"#).serializedString
    }

    /// The app's sealed key-value handle in `harness`'s registry.
    static func kv(_ name: String, in harness: ServerHarness,
                   file: StaticString = #filePath, line: UInt = #line) throws -> SealedKV {
        try XCTUnwrap(harness.server.registry.app(named: name)?.kv, "app '\(name)' is not loaded", file: file, line: line)
    }

    /// Runs `body` against a server on `directory`, then stops it (also when `body` throws).
    static func withServer<T>(on directory: String, configure: (inout ServerConfiguration) -> Void = { _ in },
                              _ body: (ServerHarness, RawTLSClient) async throws -> T) async throws -> T {
        let harness = try await ServerHarness.start(dataDirectory: directory, configure)
        do {
            let client = try await harness.connect()
            let result = try await body(harness, client)
            await client.close()
            await harness.stop()
            return result
        } catch {
            await harness.stop()
            throw error
        }
    }
}

/// A fresh temp data directory for one test, removed when the test ends.
final class TestDataDirectory {
    let path: String

    init() throws {
        path = try ServerHarness.makeTempDirectory()
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
