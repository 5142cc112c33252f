import EnclaveProtocol
@testable import EnclaveServer
import Foundation
import SealedStore
import XCTest

/// The componentize-py (CPython) component, built by the test command
/// (`Tests/DifferentialTests/Guests/componentize-py/build.sh`, cached), loaded and called through
/// the server's management path in process (it is larger than one 16 MiB frame). Its type
/// exports must give wasmtime's answers; its SDK exports are checked against hashlib and PyPI
/// `cryptography` (`tests/sdk_reference_check.py`) and the original SDK's error texts.
final class ComponentizePyTests: XCTestCase {
    static let componentPath = GuestFiles.repositoryRoot.appendingPathComponent(".build/guests/componentize-py.wasm").path
    static let guestFolder = "Tests/DifferentialTests/Guests/componentize-py"

    /// A server's management service over an in-memory store, with limits CPython needs.
    private func makeService() throws -> ManagementService {
        var configuration = ServerConfiguration(port: 0, defaultFuel: 10_000_000_000, maxMemoryBytes: 1 << 30)
        configuration.log = { _ in }
        let registry = AppRegistry()
        let store = try SealedStore(backend: InMemoryBackend(), sealingKeyProvider: EphemeralSealingKey())
        try registry.attach(store, restoring: AppRestorer(configuration: configuration))
        return ManagementService(registry: registry, configuration: configuration)
    }

    private func call(_ service: ManagementService, _ function: String, _ params: String) throws -> [String: Any] {
        let message = #"{"wasm_call":{"app":"py","function":"\#(function)","params":\#(params)}}"#
        let request = try ManagementRequest.decode(Array(message.utf8)).get()
        let response: ManagementResponse
        switch service.handle(request) {
        case .respond(let answer): response = answer
        case .call(let prepared): response = service.runtime.run(prepared)
        }
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(response.encoded())) as? [String: Any])
    }

    func testComponentizePyTypesMatchWasmtimeAndTheSDKWorks() throws {
        guard let bytes = FileManager.default.contents(atPath: Self.componentPath) else {
            throw OracleFailure(text: "no componentize-py component at \(Self.componentPath): the test command builds it (\(Self.guestFolder)/build.sh)")
        }
        let service = try makeService()
        let started = Date()
        let loaded = service.load(LoadRequest(name: "py", bytes: [UInt8](bytes)))
        let loadText = String(decoding: loaded.encoded(), as: UTF8.self)
        XCTAssertTrue(loadText.hasPrefix(#"{"status":"loaded""#), loadText)
        print("THIRD-PARTY: componentize-py component (\(bytes.count) bytes) loaded in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")

        try checkTypesAgainstWasmtime(service)
        try checkSDK(service)
    }

    private func checkTypesAgainstWasmtime(_ service: ManagementService) throws {
        let callsText = String(decoding: try GuestFiles.bytes("\(Self.guestFolder)/calls.json"), as: UTF8.self)
        let expected = try ThirdPartyGuestTests.wasmtimeAnswers(component: Self.componentPath, calls: callsText)
        let calls = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(callsText.utf8)) as? [[String: Any]])
        XCTAssertEqual(calls.count, expected.count)
        for (call, want) in zip(calls, expected) {
            let function = try XCTUnwrap(call["function"] as? String)
            let params = String(decoding: try JSONSerialization.data(withJSONObject: call["params"] ?? []), as: UTF8.self)
            let got = try self.call(service, function, params)
            XCTAssertEqual(want["status"] as? String, "ok", "wasmtime: \(function): \(want)")
            XCTAssertEqual(got as NSDictionary, want as NSDictionary, "\(function)(\(params))")
        }
        print("THIRD-PARTY: componentize-py: \(calls.count) calls over every WIT type, sockets and terminal equal to wasmtime's answers")
    }

    private func checkSDK(_ service: ManagementService) throws {
        let data = Array("attested payload".utf8)
        let digests = try call(service, "sdk-digests", "[\(Typed.bytes(data))]")
        let sign = try call(service, "sdk-sign", "[\(Typed.bytes(data))]")
        let key = (0..<32).map { UInt8($0 * 7 & 0xFF) }, iv = (0..<12).map { UInt8(0xA0 + $0) }, plaintext = Array("sealed secret".utf8)
        let aes = try call(service, "sdk-aes", "[\(Typed.bytes(key)),\(Typed.bytes(iv)),\(Typed.bytes(plaintext))]")
        let hmac = try call(service, "sdk-hmac", "[\(Typed.bytes(data))]")
        let persisted = try call(service, "sdk-persist", #"[{"type":"string","value":"long-lived"}]"#)
        // A later call: the keystore starts empty, and load-key brings the persisted key back.
        let data384 = Array("signed by a reloaded key".utf8)
        let reloaded = try call(service, "sdk-load", #"[{"type":"string","value":"long-lived"},\#(Typed.bytes(data384))]"#)
        let errors = try call(service, "sdk-errors", "[]")
        let random = try call(service, "sdk-random", #"[{"type":"u32","value":1000}]"#)

        let digestList = try Typed.list(try Typed.returned(digests)).map(Typed.bytesValue)
        let signParts = try Typed.list(try Typed.returned(sign))
        let aesParts = try Typed.list(try Typed.returned(aes))
        let hmacParts = try Typed.list(try Typed.returned(hmac))
        XCTAssertEqual(hmacParts[0]["value"] as? Int, 32)
        XCTAssertEqual(hmacParts[1]["value"] as? Bool, true)
        XCTAssertEqual(try Typed.bytesValue(aesParts[1]), plaintext)
        XCTAssertEqual(aesParts[2]["value"] as? String, "decryption failed (bad key, IV, AAD, or tampered data)")
        XCTAssertEqual(signParts[2]["value"] as? Bool, true)
        XCTAssertEqual(signParts[3]["value"] as? Bool, false, "a signature must not verify for other data")
        let persistedKey = try Typed.bytesValue(try Typed.ok(try Typed.returned(persisted)))
        let reloadedParts = try Typed.list(try Typed.ok(try Typed.returned(reloaded)))
        XCTAssertEqual(reloadedParts[0]["value"] as? Bool, false, "a later call starts with an empty keystore")
        XCTAssertEqual(try Typed.bytesValue(reloadedParts[1]), persistedKey, "the reloaded key is the persisted one")
        XCTAssertEqual(persistedKey.count, 97, "a P-384 public key as the SEC1 uncompressed point")
        XCTAssertEqual(try Typed.list(try Typed.returned(errors)).map { $0["value"] as? String }, [
            "key not found or not a symmetric key", "key already exists", "AES-256 key must be exactly 32 bytes",
            "IV must be 12 bytes", "key not found or not a signing key", "no persisted key with that name",
            "key not found", "maximum 65536 bytes per call",
        ])
        XCTAssertEqual((try Typed.ok(try Typed.returned(random)))["value"] as? Int, 1000)

        let hex = { (bytes: [UInt8]) in bytes.map { String(format: "%02x", $0) }.joined() }
        let check: [String: Any] = [
            "data": hex(data), "digests": digestList.map(hex),
            "p256": ["public": hex(try Typed.bytesValue(signParts[0])), "signature": hex(try Typed.bytesValue(signParts[1]))],
            "aes": ["key": hex(key), "iv": hex(iv), "aad": hex(Array("context".utf8)), "plaintext": hex(plaintext),
                    "sealed": hex(try Typed.bytesValue(aesParts[0]))],
            "p384": ["public": hex(persistedKey), "signature": hex(try Typed.bytesValue(reloadedParts[2])), "data": hex(data384)],
        ]
        let script = GuestFiles.repositoryRoot.appendingPathComponent("tests/sdk_reference_check.py").path
        let input = String(decoding: try JSONSerialization.data(withJSONObject: check), as: UTF8.self)
        let output = try RATLSProcess.run(["python3", script], stdin: input)
        XCTAssertEqual(output.status, 0, output.stderr)
        let verdict = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Bool])
        XCTAssertEqual(verdict, ["digests": true, "p256": true, "aes": true, "p384": true], output.stdout)
        print("THIRD-PARTY: componentize-py SDK calls: digests, ECDSA P-256/P-384, AES-256-GCM, HMAC, persist + load-key checked against hashlib/cryptography: \(verdict)")
    }
}

/// Reading and writing the server's typed JSON in tests.
enum Typed {
    static func bytes(_ value: [UInt8]) -> String {
        #"{"type":"bytes","value":[\#(value.map(String.init).joined(separator: ","))]}"#
    }

    /// The single returned value of an ok response.
    static func returned(_ response: [String: Any]) throws -> [String: Any] {
        guard response["status"] as? String == "ok", let returns = response["returns"] as? [[String: Any]], returns.count == 1 else {
            throw OracleFailure(text: "not one returned value: \(response)")
        }
        return returns[0]
    }

    static func list(_ typed: [String: Any]) throws -> [[String: Any]] {
        guard let items = typed["value"] as? [[String: Any]] else { throw OracleFailure(text: "not a list/tuple: \(typed)") }
        return items
    }

    static func ok(_ typed: [String: Any]) throws -> [String: Any] {
        guard let result = typed["value"] as? [String: Any], let ok = result["ok"] as? [String: Any] else {
            throw OracleFailure(text: "not ok: \(typed)")
        }
        return ok
    }

    static func bytesValue(_ typed: [String: Any]) throws -> [UInt8] {
        guard typed["type"] as? String == "bytes", let values = typed["value"] as? [NSNumber] else {
            throw OracleFailure(text: "not bytes: \(typed)")
        }
        return values.map(\.uint8Value)
    }
}
