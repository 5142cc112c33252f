import Foundation
import NIOPosix
import XCTest

/// The ~18 MB componentize-py (CPython) component as a user ships it: uploaded with the
/// `enclave load` CLI to a real `enclave-os` process over TLS (streamed, with progress), then
/// called over TLS; every answer must equal wasmtime's for the same calls.
final class ComponentizePyOverTLSTests: XCTestCase {
    func testEnclaveLoadStreamsItWithProgressAndItsExportsAnswerLikeWasmtime() async throws {
        let component = ComponentizePyTests.componentPath
        guard let size = try? FileManager.default.attributesOfItem(atPath: component)[.size] as? Int else {
            throw OracleFailure(text: "no componentize-py component at \(component): the test command builds it (\(ComponentizePyTests.guestFolder)/build.sh)")
        }
        XCTAssertGreaterThan(size, 16 << 20, "the point is a component larger than one 16 MiB frame")
        let callsText = String(decoding: try GuestFiles.bytes("\(ComponentizePyTests.guestFolder)/calls.json"), as: UTF8.self)
        let expected = try ThirdPartyGuestTests.wasmtimeAnswers(component: component, calls: callsText)
        let calls = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(callsText.utf8)) as? [[String: Any]])
        XCTAssertEqual(calls.count, expected.count)

        let data = try TestDataDirectory()
        // CPython needs more than the default fuel and memory cap; an operator raises them (and
        // the cap on fuel, and the time limit, for a debug build).
        let server = try await EnclaveOSProcess.start(dataDirectory: data.path, arguments: [
            "--max-fuel", "10000000000", "--max-fuel-cap", "10000000000", "--max-memory-mib", "1024", "--call-time-limit", "300",
        ])
        defer { server.stop() }

        let started = Date()
        let load = try RATLSProcess.run([try RATLSProcess.enclaveCLI(), "load", component, "--name", "py", "--port", String(server.port)])
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(load.status, 0, "enclave load failed: \(load.stdout) \(load.stderr)\nserver log:\n\(server.log)")
        // Not a terminal: one line per phase (a terminal gets a redrawn line with percent and rate).
        for phase in ["hashing", "uploading", "sent"] {
            XCTAssertTrue(load.stderr.contains(phase), "enclave load shows its \(phase) phase on standard error; it printed: \(load.stderr)")
        }
        XCTAssertTrue(load.stdout.contains("py"), load.stdout)
        print("THIRD-PARTY: componentize-py (\(size) bytes) loaded over TLS with enclave load in \(String(format: "%.1f", seconds)) s (debug build)")

        let client = try await server.connect(group: MultiThreadedEventLoopGroup.singleton)
        for (call, want) in zip(calls, expected) {
            let function = try XCTUnwrap(call["function"] as? String)
            let params = String(decoding: try JSONSerialization.data(withJSONObject: call["params"] ?? []), as: UTF8.self)
            let reply = try await client.management(#"{"wasm_call":{"app":"py","function":"\#(function)","params":\#(params)}}"#)
            let got = try JSONSerialization.jsonObject(with: Data(reply.serializedString.utf8)) as? NSDictionary
            XCTAssertEqual(want["status"] as? String, "ok", "wasmtime: \(function): \(want)")
            XCTAssertEqual(got, want as NSDictionary, "\(function)(\(params)): ours \(reply.serializedString)")
        }
        await client.close()
        print("THIRD-PARTY: componentize-py over TLS: \(calls.count) calls equal to wasmtime's answers")
    }
}
