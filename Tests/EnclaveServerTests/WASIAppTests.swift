import EnclaveProtocol
import EnclaveServer
import Foundation
import XCTest

/// Apps that import WASI, end to end over TLS: the filesystem is the app's sealed store, so
/// what one call writes the next call (and the next server) reads; apps never see each other.
final class WASIAppTests: XCTestCase {
    static func conformanceGuest() throws -> String {
        Data(try GuestFiles.bytes("Guests/wasi-conformance/wasi-conformance.wasm")).base64EncodedString()
    }

    private func load(_ name: String, on client: RawTLSClient, extra: String = "") async throws {
        let bytes = try Self.conformanceGuest()
        let reply = try await client.management(#"{"wasm_load":{"name":"\#(name)","bytes":"\#(bytes)"\#(extra)}}"#)
        XCTAssertEqual(reply["status"]?.stringValue, "loaded", reply.serializedString)
    }

    private func call(_ app: String, _ function: String, _ params: String, on client: RawTLSClient) async throws -> String {
        try await client.management(#"{"wasm_call":{"app":"\#(app)","function":"\#(function)","params":[\#(params)]}}"#).serializedString
    }

    private func write(_ app: String, _ path: String, _ data: String, on client: RawTLSClient) async throws -> String {
        try await call(app, "write-file", #"{"type":"string","value":"\#(path)"},{"type":"string","value":"\#(data)"}"#, on: client)
    }

    private func read(_ app: String, _ path: String, on client: RawTLSClient) async throws -> String {
        try await call(app, "read-file", #"{"type":"string","value":"\#(path)"}"#, on: client)
    }

    func testFilesPersistAcrossCallsAndRestartsAndStayPerApp() async throws {
        let data = try TestDataDirectory()
        try await PersistenceSupport.withServer(on: data.path) { _, client in
            try await self.load("alpha", on: client)
            try await self.load("beta", on: client)
            let wrote = try await self.write("alpha", "notes.txt", "sealed hello", on: client)
            XCTAssertEqual(wrote, #"{"status":"ok","returns":[{"type":"u32","value":0}]}"#)
            let readBack = try await self.read("alpha", "notes.txt", on: client)
            XCTAssertEqual(readBack, #"{"status":"ok","returns":[{"type":"string","value":"sealed hello"}]}"#)
            let other = try await self.read("beta", "notes.txt", on: client)
            XCTAssertFalse(other.contains("sealed hello"), "beta must not see alpha's file: \(other)")
            let escape = try await self.write("alpha", "../x", "no", on: client)
            XCTAssertFalse(escape.contains(#""value":0"#), "a path escape must fail: \(escape)")
        }
        try await PersistenceSupport.withServer(on: data.path) { _, client in
            let afterRestart = try await self.read("alpha", "notes.txt", on: client)
            XCTAssertEqual(afterRestart, #"{"status":"ok","returns":[{"type":"string","value":"sealed hello"}]}"#)
        }
    }

    func testRandomClocksAndStdoutReachTheGuest() async throws {
        let data = try TestDataDirectory()
        try await PersistenceSupport.withServer(on: data.path) { harness, client in
            try await self.load("w", on: client)
            let length = try await self.call("w", "random-len", #"{"type":"u64","value":32}"#, on: client)
            XCTAssertEqual(length, #"{"status":"ok","returns":[{"type":"u32","value":32}]}"#)
            let seconds = try await client.management(#"{"wasm_call":{"app":"w","function":"wall-seconds","params":[]}}"#)
            let now = UInt64(Date().timeIntervalSince1970)
            let reported = seconds["returns"]?.arrayValue?.first?["value"]?.numberValue?.uint64 ?? 0
            XCTAssertLessThanOrEqual(max(now, reported) - min(now, reported), 5, seconds.serializedString)
            _ = try await self.call("w", "print", #"{"type":"string","value":"from the guest\n"}"#, on: client)
            XCTAssertTrue(harness.log.all.contains { $0.contains("app w stdout: from the guest") }, "\(harness.log.all)")
        }
    }
}
