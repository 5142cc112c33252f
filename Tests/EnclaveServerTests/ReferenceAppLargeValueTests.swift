import EnclaveProtocol
import EnclaveServer
import Foundation
import XCTest

/// The reference app moves a 1 MiB value through `kv-store` / `kv-read` within the server's
/// default fuel budget (10 M), over a real server and TLS: the app copies bytes in blocks, and
/// the host lifts and lowers them as one block each.
final class ReferenceAppLargeValueTests: XCTestCase {
    private var harness: ServerHarness!
    private var client: RawTLSClient!

    override func setUp() async throws {
        harness = try await ServerHarness.start()
        client = try await harness.connect()
        let bytes = try GuestFiles.bytes("Guests/wasm-app-example/wasm-app-example.wasm")
        let reply = try await client.management(#"{"wasm_load":{"name":"app","bytes":"\#(Data(bytes).base64EncodedString())"}}"#)
        XCTAssertEqual(reply["status"]?.stringValue, "loaded", reply.serializedString)
    }

    override func tearDown() async throws {
        await harness.stop()
    }

    private func call(_ function: String, _ params: String) async throws -> JSON {
        try await client.management(#"{"wasm_call":{"app":"app","function":"\#(function)","params":[\#(params)]}}"#)
    }

    func testAMebibyteRoundTripsWithinTheDefaultFuel() async throws {
        // Printable ASCII without quotes or backslashes, so the JSON text is the value itself.
        let value = String(decoding: (0..<(1 << 20)).map { UInt8(0x28 + $0 % 52) }, as: UTF8.self)
        let stored = try await call("kv-store", #"{"type":"string","value":"mebibyte"},{"type":"string","value":"\#(value)"}"#)
        XCTAssertEqual(stored["status"]?.stringValue, "ok", stored.serializedString.prefix(300).description)
        XCTAssertEqual(stored["returns"]?.arrayValue?.first?["value"]?.stringValue, "stored: mebibyte")
        let read = try await call("kv-read", #"{"type":"string","value":"mebibyte"}"#)
        XCTAssertEqual(read["status"]?.stringValue, "ok", read.serializedString.prefix(300).description)
        let text = try XCTUnwrap(read["returns"]?.arrayValue?.first?["value"]?.stringValue)
        XCTAssertEqual(text.utf8.count, 1 << 20)
        XCTAssertTrue(text == value, "kv-read did not give the 1 MiB value back")
        // The small values of the seed's test still read back exactly.
        _ = try await call("kv-store", #"{"type":"string","value":"greeting"},{"type":"string","value":"Hello from WASM in SGX!"}"#)
        let greeting = try await call("kv-read", #"{"type":"string","value":"greeting"}"#)
        XCTAssertEqual(greeting["returns"]?.arrayValue?.first?["value"]?.stringValue, "Hello from WASM in SGX!")
    }
}
