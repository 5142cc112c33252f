import EnclaveProtocol
import EnclaveServer
import XCTest

/// The outer envelope over real TLS connections (docs/protocol.md §1–2).
final class EnvelopeTests: XCTestCase {
    private var harness: ServerHarness!

    override func setUp() async throws {
        harness = try await ServerHarness.start()
    }

    override func tearDown() async throws {
        await harness.stop()
    }

    func testPingIsAnsweredWithPongByteExact() async throws {
        let client = try await harness.connect()
        let payload = try await client.roundTrip(Array(#""Ping""#.utf8))
        XCTAssertEqual(String(decoding: payload, as: UTF8.self), #""Pong""#)
    }

    func testManyRequestsOnOneConnection() async throws {
        let client = try await harness.connect()
        for _ in 0..<50 {
            let response = try await client.request(#""Ping""#)
            XCTAssertEqual(response, .pong)
        }
    }

    func testHelloSmokeTestAnswersWorld() async throws {
        let client = try await harness.connect()
        let payload = try await client.roundTrip(Array(#"{"Data":[104,101,108,108,111]}"#.utf8))
        XCTAssertEqual(String(decoding: payload, as: UTF8.self), #"{"Data":[119,111,114,108,100]}"#)
    }

    func testHelloAsBase64Data() async throws {
        let client = try await harness.connect()
        let response = try await client.request(#"{"Data":"aGVsbG8="}"#)
        XCTAssertEqual(response, .data(Array("world".utf8)))
    }

    func testInvalidJSONIsAnsweredByteExact() async throws {
        let client = try await harness.connect()
        let payload = try await client.roundTrip(Array("{not json".utf8))
        let expected = #"{"Error":["# + Array("invalid JSON request".utf8).map(String.init).joined(separator: ",") + "]}"
        XCTAssertEqual(String(decoding: payload, as: UTF8.self), expected)
    }

    func testGarbageFramesGetErrorsAndTheConnectionSurvives() async throws {
        let client = try await harness.connect()
        let garbage: [[UInt8]] = [
            [],                                   // empty payload
            [0xFF, 0xFE, 0x00, 0x80],             // not UTF-8
            Array(#""Pong""#.utf8),               // a response, not a request
            Array(#"{"Data":[256]}"#.utf8),       // byte out of range
            Array(#"{"Data":[1,2],"Ping":1}"#.utf8),
            Array(#"{"Shutdown":{"token":7}}"#.utf8),
            Array(repeating: UInt8(ascii: "["), count: 10_000),  // deep nesting
            Array(#"{"Data":"not base64!"}"#.utf8),
        ]
        for payload in garbage {
            let response = try await client.request(String(decoding: payload, as: UTF8.self))
            XCTAssertEqual(response.errorMessage, "invalid JSON request", "payload \(payload.prefix(16))")
        }
        let response = try await client.request(#""Ping""#)
        XCTAssertEqual(response, .pong)
    }

    func testRandomBytesNeverCrashTheServer() async throws {
        var generator = SystemRandomNumberGenerator()
        let client = try await harness.connect()
        for _ in 0..<200 {
            let length = Int.random(in: 0..<300, using: &generator)
            let payload = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let reply = try await client.roundTrip(payload)
            XCTAssertNotNil(Response.decode(reply))
        }
        let response = try await client.request(#""Ping""#)
        XCTAssertEqual(response, .pong)
    }

    func testMalformedInnerMessageNamesTheProblem() async throws {
        let client = try await harness.connect()
        let notJSON = try await client.management("{oops")
        XCTAssertEqual(notJSON["status"]?.stringValue, "error")
        XCTAssertTrue(notJSON["message"]?.stringValue?.hasPrefix("invalid JSON in Data") ?? false, notJSON.serializedString)

        let unknown = try await client.management(#"{"wasm_dance":{}}"#)
        XCTAssertEqual(unknown["status"]?.stringValue, "error")
        XCTAssertTrue(unknown["message"]?.stringValue?.contains("wasm_dance") ?? false, unknown.serializedString)

        let missingField = try await client.management(#"{"wasm_call":{"app":"x"}}"#)
        XCTAssertEqual(missingField["status"]?.stringValue, "error")
        XCTAssertTrue(missingField["message"]?.stringValue?.contains("function") ?? false, missingField.serializedString)
    }

    func testTLS12IsRefused() async throws {
        do {
            let client = try await RawTLSClient.connect(to: harness.address, group: harness.clientGroup, maximumTLSVersion: .tlsv12)
            await client.close()
            XCTFail("a TLS 1.2 handshake succeeded")
        } catch {
            // expected: the server offers TLS 1.3 only
        }
        let client = try await harness.connect()
        let response = try await client.request(#""Ping""#)
        XCTAssertEqual(response, .pong)
    }
}
