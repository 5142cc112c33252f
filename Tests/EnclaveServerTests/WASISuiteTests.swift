import EnclaveProtocol
import Foundation
import XCTest

/// The WASI suite guest (`Guests/wasi-conformance/wasi-suite.wasm`, every implemented WASI
/// function called and checked) loaded into a real server and driven over TLS, so the checks
/// run with the server's own sessions, sealed SQLite store and log.
final class WASISuiteTests: XCTestCase {
    private static func suiteBase64() throws -> String {
        Data(try GuestFiles.bytes("Guests/wasi-conformance/wasi-suite.wasm")).base64EncodedString()
    }

    /// The strings of the call's single list<string> result.
    private func lines(_ reply: JSON) -> [String] {
        reply["returns"]?.arrayValue?.first?["value"]?.arrayValue?.compactMap { $0["value"]?.stringValue ?? $0.stringValue } ?? []
    }

    func testEveryCheckPassesOverTLSAndTheFilesSurviveARestart() async throws {
        let data = try TestDataDirectory()
        let bytes = try Self.suiteBase64()
        try await PersistenceSupport.withServer(on: data.path) { harness, client in
            let loaded = try await client.management(#"{"wasm_load":{"name":"suite","bytes":"\#(bytes)"}}"#)
            XCTAssertEqual(loaded["status"]?.stringValue, "loaded", loaded.serializedString)
            let reply = try await client.management(#"{"wasm_call":{"app":"suite","function":"run","params":[{"type":"string","value":"over-tls"}]}}"#)
            XCTAssertEqual(reply["status"]?.stringValue, "ok", reply.serializedString)
            let report = self.lines(reply)
            XCTAssertGreaterThanOrEqual(report.count, 100, reply.serializedString)
            let failures = report.filter { !$0.hasPrefix("ok ") }
            XCTAssertEqual(failures, [], "failed checks:\n" + failures.joined(separator: "\n"))
            XCTAssertTrue(harness.log.all.contains { $0.contains("app suite stdout: wasi-suite: stdout line") }, "\(harness.log.all)")
            XCTAssertTrue(harness.log.all.contains { $0.contains("app suite stderr: wasi-suite: stderr line") }, "\(harness.log.all)")

            let exit = try await client.management(#"{"wasm_call":{"app":"suite","function":"exit-with","params":[{"type":"bool","value":true}]}}"#)
            XCTAssertNotEqual(exit["status"]?.stringValue, "ok", exit.serializedString)
            XCTAssertTrue(exit.serializedString.contains("wasi:cli/exit"), exit.serializedString)
            let capped = try await client.management(#"{"wasm_call":{"app":"suite","function":"random-len","params":[{"type":"u64","value":65537},{"type":"bool","value":false}]}}"#)
            XCTAssertTrue(capped.serializedString.contains("the limit is 65536"), capped.serializedString)
        }
        // The same directory in a restarted server: the second run must trip over it (it exists,
        // with the stream-written files inside), which proves the first run's writes persisted.
        try await PersistenceSupport.withServer(on: data.path) { _, client in
            let reply = try await client.management(#"{"wasm_call":{"app":"suite","function":"run","params":[{"type":"string","value":"over-tls"}]}}"#)
            let failures = self.lines(reply).filter { !$0.hasPrefix("ok ") }
            XCTAssertTrue(failures.contains { $0.hasPrefix("FAIL descriptor.create-directory-at") }, reply.serializedString)
        }
    }
}
