import EnclaveProtocol
import Foundation
import NIOCore
import NIOPosix
import XCTest

/// The `enclave-os` process's own standard error and options: `--log-format json` lines parse
/// as JSON with their metadata, `--metrics-listen` serves plain HTTP on loopback and refuses
/// another address unless told.
final class ObservabilityProcessTests: XCTestCase {
    func testJSONLogLinesAndThePlainMetricsListener() async throws {
        let data = try TestDataDirectory()
        let server = try await EnclaveOSProcess.start(dataDirectory: data.path, arguments: [
            "--log-format", "json", "--log-level", "debug", "--metrics-listen", "127.0.0.1:0",
        ])
        defer { server.stop() }
        let group = MultiThreadedEventLoopGroup.singleton
        let client = try await server.connect(group: group)
        let encoded = Data(try GuestFiles.bytes("Guests/test-guest/test-guest.wasm")).base64EncodedString()
        let loaded = try await client.management(#"{"wasm_load":{"name":"demo","bytes":"\#(encoded)"}}"#)
        XCTAssertEqual(loaded["status"]?.stringValue, "loaded", loaded.serializedString)
        let sum = try await client.management(#"{"wasm_call":{"app":"demo","function":"add","params":[{"type":"u32","value":2},{"type":"u32","value":40}]}}"#)
        XCTAssertEqual(sum.serializedString, #"{"status":"ok","returns":[{"type":"u32","value":42}]}"#)
        await client.close()

        let entries = try await waitForEntries(of: server) { entries in
            entries.contains { $0["message"] as? String == "call ok" } && entries.contains { $0["message"] as? String == "connection closed" }
        }
        for entry in entries {
            XCTAssertNotNil(entry["timestamp"] as? String, "\(entry)")
            XCTAssertNotNil(entry["level"] as? String, "\(entry)")
            XCTAssertNotNil(entry["metadata"] as? [String: Any], "\(entry)")
        }
        let call = try XCTUnwrap(entries.first { $0["message"] as? String == "call ok" })
        XCTAssertEqual(call["level"] as? String, "debug")
        let metadata = try XCTUnwrap(call["metadata"] as? [String: Any])
        XCTAssertEqual(metadata["app"] as? String, "demo")
        XCTAssertEqual(metadata["function"] as? String, "add")
        XCTAssertEqual((metadata["request"] as? NSNumber)?.intValue, 2)
        XCTAssertNotNil(metadata["connection"] as? NSNumber)
        XCTAssertNotNil(metadata["duration_us"] as? NSNumber, "durations are JSON numbers: \(metadata)")
        XCTAssertGreaterThan((metadata["fuel"] as? NSNumber)?.intValue ?? 0, 0, "\(metadata)")
        XCTAssertTrue(entries.contains { ($0["message"] as? String)?.hasPrefix("enclave-os listening on 127.0.0.1:") ?? false },
                      "the start-up lines keep their wording")

        // "metrics: GET /metrics over plain HTTP on 127.0.0.1:<port> (…)"
        let announcement = try XCTUnwrap(entries.compactMap { $0["message"] as? String }.first { $0.hasPrefix("metrics: ") })
        let port = try XCTUnwrap(announcement.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") }
            .flatMap { Int($0.dropFirst("127.0.0.1:".count)) }, announcement)
        let scraped = try await PlainTCP.exchange(Array("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8),
                                                  with: try SocketAddress(ipAddress: "127.0.0.1", port: port), group: group)
        let text = String(decoding: scraped, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 200"), text)
        XCTAssertTrue(text.contains(#"enclave_calls_total{app="demo"} 1"#), text)
    }

    func testMetricsListenOffLoopbackIsRefusedUnlessAllowed() async throws {
        let data = try TestDataDirectory()
        let (process, stderr) = try EnclaveOSProcess.launch(["--port", "0", "--data-dir", data.path,
                                                             "--metrics-listen", "0.0.0.0:0"])
        for _ in 0..<1500 where process.isRunning { try await Task.sleep(nanoseconds: 20_000_000) }
        if process.isRunning {
            process.terminate()
            XCTFail("enclave-os started with --metrics-listen 0.0.0.0: \(stderr.current)")
        }
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertTrue(stderr.current.contains("--metrics-listen-any-address"), stderr.current)
    }

    /// Every line of the server's standard error as a JSON object, once `complete` holds.
    private func waitForEntries(of server: EnclaveOSProcess,
                                until done: ([[String: Any]]) -> Bool) async throws -> [[String: Any]] {
        var entries: [[String: Any]] = []
        for _ in 0..<500 {
            entries = []
            let text = server.log
            // A line still being written is parsed on the next round.
            let complete = text.hasSuffix("\n") ? text[...] : text[..<(text.lastIndex(of: "\n") ?? text.startIndex)]
            for line in complete.split(separator: "\n") {
                let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
                entries.append(try XCTUnwrap(parsed as? [String: Any], "not a JSON object: \(line)"))
            }
            if done(entries) { return entries }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        XCTFail("the expected lines never came:\n\(server.log)")
        return entries
    }
}
