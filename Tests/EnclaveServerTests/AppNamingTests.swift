import EnclaveProtocol
@testable import EnclaveServer
import Foundation
import XCTest

/// App names and hostnames are checked at load: a name a certificate or SNI cannot carry is
/// refused with the reason; two apps cannot share a hostname; untrusted text in log lines is
/// escaped and cut.
final class AppNamingTests: XCTestCase {
    private var harness: ServerHarness!
    private var client: RawTLSClient!

    override func setUp() async throws {
        harness = try await ServerHarness.start()
        client = try await harness.connect()
    }

    override func tearDown() async throws {
        await harness.stop()
    }

    private func load(_ name: String, hostname: String? = nil) async throws -> JSON {
        var body = JSONObject(["name": .string(name), "bytes": .string(Data(try WasmAppTests.guestBytes()).base64EncodedString())])
        if let hostname { body.append("hostname", .string(hostname)) }
        return try await client.management(JSON.object(JSONObject(["wasm_load": .object(body)])).serializedString)
    }

    private func refusal(_ reply: JSON) -> String {
        XCTAssertEqual(reply["status"]?.stringValue, "error", reply.serializedString)
        return reply["message"]?.stringValue ?? ""
    }

    func testHostnamesACertificateCannotCarryAreRefusedWithTheReason() async throws {
        let crlf = refusal(try await load("forge", hostname: "a.example\r\nERROR: forged line"))
        XCTAssertEqual(crlf, #"wasm_load.hostname: 'a.example\u{d}\u{a}ERROR: forged line' cannot be a TLS server name: it contains a byte (0xd) that is not allowed in a DNS name (letters, digits, '-', '_' and '.' only)"#)
        let huge = refusal(try await load("huge", hostname: String(repeating: "a", count: 1_000_000)))
        XCTAssertTrue(huge.hasSuffix("it is 1000000 bytes long; a DNS name has at most 253"), String(huge.suffix(200)))
        XCTAssertLessThan(huge.utf8.count, 400, "the refusal does not echo a megabyte back")
        let address = refusal(try await load("ip", hostname: "10.0.0.1"))
        XCTAssertTrue(address.hasSuffix("it is an IP address, which TLS clients do not send as a server name (SNI)"), address)
        let emptyLabel = refusal(try await load("dots", hostname: "a..example"))
        XCTAssertTrue(emptyLabel.hasSuffix("it has an empty label (a leading, trailing or doubled '.')"), emptyLabel)
        XCTAssertTrue(harness.server.registry.all().isEmpty, "nothing refused was loaded")
        XCTAssertFalse(harness.log.all.contains { $0.contains("\n") || $0.contains("\r") }, "no raw line break reached the log")
    }

    func testANameThatCannotBeItsOwnHostnameNeedsAnExplicitOne() async throws {
        let spaced = refusal(try await load("My App"))
        XCTAssertTrue(spaced.hasPrefix("wasm_load.name: 'My App' cannot also be the app's TLS hostname, which defaults to the name: "), spaced)
        XCTAssertTrue(spaced.hasSuffix("give a hostname (wasm_load.hostname, enclave load --hostname)"), spaced)
        let loaded = try await load("My App", hostname: "my-app.example")
        XCTAssertEqual(loaded["status"]?.stringValue, "loaded", loaded.serializedString)
        let bidi = refusal(try await load("evil\u{202E}gpj.exe", hostname: "evil.example"))
        XCTAssertEqual(bidi, "wasm_load.name: contains the invisible or control character U+202E")
    }

    func testTwoAppsCannotClaimTheSameHostname() async throws {
        let first = try await load("first", hostname: "shared.example")
        XCTAssertEqual(first["status"]?.stringValue, "loaded", first.serializedString)
        let second = refusal(try await load("second", hostname: "SHARED.example"))
        XCTAssertEqual(second, "wasm_load.hostname: 'SHARED.example' is already the hostname of app 'first'; each app needs its own")
        let byName = refusal(try await load("shared.example"))
        XCTAssertTrue(byName.contains("is already the hostname of app 'first'"), byName)
    }

    func testLogFieldsAreEscapedAndCut() {
        XCTAssertEqual(LogText.field("a\r\nb\u{1B}[2J\\c\u{202E}"), #"a\u{d}\u{a}b\u{1b}[2J\\c\u{202e}"#)
        XCTAssertEqual(LogText.field("héllo"), "héllo")
        let cut = LogText.field(String(repeating: "x", count: 1000), maxBytes: 10)
        XCTAssertEqual(cut, "xxxxxxxxxx…(1000 bytes)")
    }
}
