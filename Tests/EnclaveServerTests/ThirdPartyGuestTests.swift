import EnclaveProtocol
import EnclaveServer
import Foundation
import XCTest

/// Components from toolchains that are not ours, loaded and called over TLS on a real server;
/// the expected answers are wasmtime's (PyPI `wasmtime`, `tests/wasmtime_wasi_oracle.py`), for
/// the same calls in the same order over one persistent filesystem.
final class ThirdPartyGuestTests: XCTestCase {
    /// C over wasi-libc, adapted from WASI preview 1: its constructor (wasi-libc's preopens, the
    /// clock, randomness) runs during instantiation, at load and before every call.
    func testCWithWASILibcAndTheAdapterGivesWasmtimesAnswers() async throws {
        try await compareWithWasmtime(guest: "Guests/c-wasi-files/c-wasi-files.wasm", calls: "Guests/c-wasi-files/calls.json")
    }

    /// The same with `fresh_instances`: every call instantiates afresh (here already the case,
    /// since wasi-libc keeps its preopened directory handles; the option must not change answers).
    func testFreshInstancesOptionGivesTheSameAnswers() async throws {
        try await compareWithWasmtime(guest: "Guests/c-wasi-files/c-wasi-files.wasm", calls: "Guests/c-wasi-files/calls.json",
                                      loadExtra: #","fresh_instances":true"#)
    }

    /// What users upload by mistake, and imports we lack, are refused over the wire saying what
    /// the file is and what to do, or which interface and function is missing.
    func testClearRefusals() async throws {
        let work = try TestDataDirectory()
        let cwasm = work.path + "/app.cwasm"
        let compiled = try RATLSProcess.run(["python3", "-c", """
            import sys, wasmtime, wasmtime.component as wc
            open(sys.argv[1], "wb").write(wc.Component(wasmtime.Engine(), "(component)").serialize())
            """, cwasm])
        XCTAssertEqual(compiled.status, 0, compiled.stderr)
        let wit = """
            package privasys:enclave-os@0.1.0;
            interface auth { get-caller-id: func() -> result<string, string>; }
            interface vault { open: func(name: string) -> u32; close: func(handle: u32); }
            world uses-auth { import auth; export run: func(); }
            world uses-vault { import vault; export run: func(); }
            """
        try Data(wit.utf8).write(to: URL(fileURLWithPath: work.path + "/app.wit"))
        for world in ["uses-auth", "uses-vault"] {
            let embed = try RATLSProcess.run(["wasm-tools", "component", "embed", "--dummy", "--world", world, work.path + "/app.wit", "-o", work.path + "/\(world).core.wasm"])
            XCTAssertEqual(embed.status, 0, embed.stderr)
            let new = try RATLSProcess.run(["wasm-tools", "component", "new", work.path + "/\(world).core.wasm", "-o", work.path + "/\(world).wasm"])
            XCTAssertEqual(new.status, 0, new.stderr)
        }
        let uploads: [(file: String, expected: String)] = [
            (cwasm, "invalid component: not a WebAssembly component: this is an ELF file (native code, e.g. a `.cwasm` from `wasmtime compile`), which EnclaveOS cannot run; upload the WebAssembly component (`.wasm`) it was compiled from"),
            (work.path + "/uses-auth.core.wasm", "invalid component: not a WebAssembly component: this is a core WebAssembly module (layer 0, version 1), not a component"),
            (work.path + "/uses-auth.wasm", "invalid component: unsupported: import privasys:enclave-os/auth@0.1.0: caller identity and role management (the original SDK's `auth`) is not provided by EnclaveOS"),
            (work.path + "/uses-vault.wasm", "invalid component: missing import: interface privasys:enclave-os/vault@0.1.0, function 'open' (and 1 more function of that interface) is not provided by this host"),
        ]
        let data = try TestDataDirectory()
        try await PersistenceSupport.withServer(on: data.path) { _, client in
            for (index, upload) in uploads.enumerated() {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: upload.file)).base64EncodedString()
                let reply = try await client.management(#"{"wasm_load":{"name":"u\#(index)","bytes":"\#(bytes)"}}"#)
                XCTAssertEqual(reply["status"]?.stringValue, "error", reply.serializedString)
                let message = reply["message"]?.stringValue ?? reply.serializedString
                XCTAssertTrue(message.hasPrefix(upload.expected), "\(upload.file): \(message)")
            }
        }
    }

    private func compareWithWasmtime(guest: String, calls callsPath: String, loadExtra: String = "") async throws {
        let component = GuestFiles.repositoryRoot.appendingPathComponent(guest).path
        let callsText = String(decoding: try GuestFiles.bytes(callsPath), as: UTF8.self)
        let expected = try Self.wasmtimeAnswers(component: component, calls: callsText)
        let calls = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(callsText.utf8)) as? [[String: Any]])
        XCTAssertEqual(calls.count, expected.count)
        let data = try TestDataDirectory()
        try await PersistenceSupport.withServer(on: data.path) { _, client in
            let bytes = Data(try GuestFiles.bytes(guest)).base64EncodedString()
            let loaded = try await client.management(#"{"wasm_load":{"name":"guest","bytes":"\#(bytes)"\#(loadExtra)}}"#)
            XCTAssertEqual(loaded["status"]?.stringValue, "loaded", loaded.serializedString)
            for (call, want) in zip(calls, expected) {
                let function = try XCTUnwrap(call["function"] as? String)
                let params = String(decoding: try JSONSerialization.data(withJSONObject: call["params"] ?? []), as: UTF8.self)
                let reply = try await client.management(#"{"wasm_call":{"app":"guest","function":"\#(function)","params":\#(params)}}"#)
                let got = try JSONSerialization.jsonObject(with: Data(reply.serializedString.utf8)) as? NSDictionary
                if want["status"] as? String == "ok" {
                    XCTAssertEqual(got, want as NSDictionary, "\(function)(\(params)): ours \(reply.serializedString)")
                } else {
                    XCTAssertEqual(got?["status"] as? String, "error", "\(function): wasmtime trapped (\(want)), we answered \(reply.serializedString)")
                }
            }
        }
        print("THIRD-PARTY: \(guest): \(calls.count) calls, all equal to wasmtime's answers")
    }

    /// wasmtime's answers, one per call.
    static func wasmtimeAnswers(component: String, calls: String) throws -> [[String: Any]] {
        let oracle = GuestFiles.repositoryRoot.appendingPathComponent("tests/wasmtime_wasi_oracle.py").path
        let output = try RATLSProcess.run(["python3", oracle, component], stdin: calls)
        guard output.status == 0 else {
            throw OracleFailure(text: "the wasmtime oracle failed (scripts/test installs tests/requirements.txt): \(output.stderr)")
        }
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]])
    }
}

/// The oracle could not run: the test fails (never skips).
struct OracleFailure: Error, CustomStringConvertible {
    let text: String
    var description: String { text }
}
