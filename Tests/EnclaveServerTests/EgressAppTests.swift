import Egress
import EnclaveProtocol
import EnclaveServer
import Foundation
import XCTest

/// The reference app and the egress probes (both WIT shapes of `privasys:enclave-os/https`)
/// over a real server whose egress reaches the local HTTPS news fixture
/// (`tests/fixtures/news_server.py`) as `www.lemonde.fr`, trusted through a test CA.
final class EgressAppTests: XCTestCase {
    /// What the reference app must extract from the fixture's front page (news_server.py EXPECTED).
    static let expectedHeadlines = [
        "Guides d'achat", "Le budget 2026 adopté", "Élections : les résultats",
        "Climat & énergie : ce qui change", "Sport : la finale", "Cinéma – les sorties de la semaine",
        "Direct — sommet européen", "Sciences : une découverte", "Économie : l'inflation ralentit",
        "Culture : le festival",
    ]

    private var pki: TestPKI!
    private var news: NewsServerProcess?
    private var egress: HTTPSEgress?
    private var harness: ServerHarness?

    override func setUp() async throws {
        pki = try TestPKI.make()
    }

    override func tearDown() async throws {
        await harness?.stop()
        try? await egress?.shutdown()
        news?.stop()
        try? FileManager.default.removeItem(at: pki.directory)
    }

    /// A server whose egress trusts `bundle` (default: the test CA) and maps www.lemonde.fr
    /// (and other.example, for the hostname mismatch) to the news fixture.
    private func startServer(rootStatus: Int = 200, bundle: String? = nil, egressEnabled: Bool = true) async throws -> RawTLSClient {
        let news = try NewsServerProcess(pki: pki, rootStatus: rootStatus)
        self.news = news
        if egressEnabled {
            egress = try HTTPSEgress(configuration: EgressConfiguration(
                caBundlePath: bundle ?? pki.caPEMPath,
                resolve: try EgressConfiguration.parseResolve([
                    "www.lemonde.fr:443=127.0.0.1:\(news.port)", "other.example:443=127.0.0.1:\(news.port)",
                ])))
        }
        let egress = self.egress
        harness = try await ServerHarness.start { $0.egress = egress }
        return try await harness!.connect()
    }

    private func load(_ client: RawTLSClient, _ name: String, _ path: String) async throws {
        let bytes = try GuestFiles.bytes(path)
        let reply = try await client.management(#"{"wasm_load":{"name":"\#(name)","bytes":"\#(Data(bytes).base64EncodedString())"}}"#)
        XCTAssertEqual(reply["status"]?.stringValue, "loaded", reply.serializedString)
    }

    /// The single string result of a call (or the error message).
    private func call(_ client: RawTLSClient, _ app: String, _ function: String, _ params: String = "") async throws -> String {
        let reply = try await client.management(#"{"wasm_call":{"app":"\#(app)","function":"\#(function)","params":[\#(params)]}}"#)
        guard reply["status"]?.stringValue == "ok" else { return "call failed: \(reply.serializedString)" }
        return reply["returns"]?.arrayValue?.first?["value"]?.stringValue ?? reply.serializedString
    }

    private func probe(_ client: RawTLSClient, _ app: String, method: Int = 0, _ url: String, root: [UInt8] = []) async throws -> String {
        let rootJSON = root.map(String.init).joined(separator: ",")
        return try await call(client, app, "probe",
                              #"{"type":"u32","value":\#(method)},{"type":"string","value":"\#(url)"},{"type":"bytes","value":[\#(rootJSON)]}"#)
    }

    func testReferenceAppRunsAllSixFunctionsAgainstTheNewsFixture() async throws {
        let client = try await startServer()
        try await load(client, "test-app", "Guests/wasm-app-example/wasm-app-example.wasm")
        let hello = try await call(client, "test-app", "hello")
        XCTAssertEqual(hello, "Hello, World!")
        let stored = try await call(client, "test-app", "kv-store", #"{"type":"string","value":"greeting"},{"type":"string","value":"Hello from WASM in SGX!"}"#)
        XCTAssertEqual(stored, "stored: greeting")
        let read = try await call(client, "test-app", "kv-read", #"{"type":"string","value":"greeting"}"#)
        XCTAssertEqual(read, "Hello from WASM in SGX!")
        let missing = try await call(client, "test-app", "kv-read", #"{"type":"string","value":"missing"}"#)
        XCTAssertEqual(missing, "error: key not found: missing")
        let time = try await call(client, "test-app", "get-time")
        XCTAssertNotNil(time.range(of: #"^[0-9]{10,}\.[0-9]{9}$"#, options: .regularExpression), time)
        let headlines = try await call(client, "test-app", "fetch-headlines")
        let expected = Self.expectedHeadlines.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: "\n")
        XCTAssertEqual(headlines, expected)
    }

    func testNon200IsReportedWithItsStatus() async throws {
        let client = try await startServer(rootStatus: 503)
        try await load(client, "test-app", "Guests/wasm-app-example/wasm-app-example.wasm")
        let headlines = try await call(client, "test-app", "fetch-headlines")
        XCTAssertEqual(headlines, "error: HTTP 503")
    }

    func testWithoutEgressFetchAnswersAnErrorAndTheAppStillLoads() async throws {
        let client = try await startServer(egressEnabled: false)
        try await load(client, "test-app", "Guests/wasm-app-example/wasm-app-example.wasm")
        let headlines = try await call(client, "test-app", "fetch-headlines")
        XCTAssertEqual(headlines, "error: HTTPS egress is not available on this server")
    }

    /// Every error path, through both WIT shapes: the host binds each by its declared type.
    func testBothFetchShapesReachTheNewsFixtureAndReportErrors() async throws {
        let client = try await startServer()
        for (app, path) in [("positional", "Guests/egress-probe/egress-probe-positional.wasm"),
                            ("record", "Guests/egress-probe/egress-probe-record.wasm")] {
            try await load(client, app, path)
            let front = try await probe(client, app, "https://www.lemonde.fr/")
            XCTAssertTrue(front.hasPrefix("HTTP 200, "), "\(app): \(front)")
            let notFound = try await probe(client, app, "https://www.lemonde.fr/status/404")
            XCTAssertTrue(notFound.hasPrefix("HTTP 404, "), "\(app): \(notFound)")
            let posted = try await probe(client, app, method: 1, "https://www.lemonde.fr/echo")
            XCTAssertTrue(posted.hasPrefix("HTTP 200, ") && posted.contains(#""method": "POST""#), "\(app): \(posted)")
            let plain = try await probe(client, app, "http://www.lemonde.fr/")
            XCTAssertEqual(plain, "error: only https:// URLs are supported", app)
            let big = try await probe(client, app, "https://www.lemonde.fr/big")
            XCTAssertEqual(big, "error: response body exceeds 2097152 bytes", app)
            let mismatch = try await probe(client, app, "https://other.example/")
            XCTAssertEqual(mismatch, "error: certificate verify failed for other.example: the certificate is not valid for this host name", app)
        }
        // The cap's boundary: exactly 2 MiB arrives whole (through the canonical ABI), one more byte fails.
        for app in ["positional", "record"] {
            let started = Date()
            let whole = try await probe(client, app, "https://www.lemonde.fr/bytes/2097152")
            print("egress: a 2 MiB body through \(app) fetch took \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
            XCTAssertTrue(whole.hasPrefix("HTTP 200, ") && whole.contains(" 2097152 bytes: bbbb"), "\(app): \(whole.prefix(80))")
            let over = try await probe(client, app, "https://www.lemonde.fr/bytes/2097153")
            XCTAssertEqual(over, "error: response body exceeds 2097152 bytes", app)
        }
        let badMethod = try await probe(client, "positional", method: 9, "https://www.lemonde.fr/")
        XCTAssertTrue(badMethod.hasPrefix("error: invalid method 9"), badMethod)
    }

    func testAFetchOfAnUnknownShapeIsRefusedAtLoad() async throws {
        let client = try await startServer(egressEnabled: false)
        let bytes = try GuestFiles.bytes("Guests/egress-probe/wrong-shape.wasm")
        let reply = try await client.management(#"{"wasm_load":{"name":"wrong","bytes":"\#(Data(bytes).base64EncodedString())"}}"#)
        XCTAssertEqual(reply["status"]?.stringValue, "error", reply.serializedString)
        XCTAssertTrue(reply["message"]?.stringValue?.contains(
            "import privasys:enclave-os/https@0.1.0#fetch is declared as func(url: string) -> string, a shape this host does not implement") == true,
            reply.serializedString)
    }

    func testUntrustedCAFailsFastAndRequestRootsReplaceTheBundle() async throws {
        let client = try await startServer(bundle: pki.rogueCAPEMPath)
        try await load(client, "positional", "Guests/egress-probe/egress-probe-positional.wasm")
        try await load(client, "record", "Guests/egress-probe/egress-probe-record.wasm")
        for app in ["positional", "record"] {
            let started = Date()
            let refused = try await probe(client, app, "https://www.lemonde.fr/")
            let seconds = Date().timeIntervalSince(started)
            XCTAssertTrue(refused.hasPrefix("error: certificate verify failed for www.lemonde.fr"), "\(app): \(refused)")
            XCTAssertLessThan(seconds, 2, "\(app): an untrusted certificate must fail fast, took \(seconds) s")
        }
        // The record shape's ca-roots-der replaces the server's anchors for that request only.
        let trusted = try await probe(client, "record", "https://www.lemonde.fr/", root: pki.caDER)
        XCTAssertTrue(trusted.hasPrefix("HTTP 200, "), trusted)
        let again = try await probe(client, "record", "https://www.lemonde.fr/")
        XCTAssertTrue(again.hasPrefix("error: certificate verify failed"), again)
        // Each failure leaves a log line (its reason names the host), and both outcomes are counted.
        let failures = harness!.log.all.filter { $0.hasPrefix("egress request failed: certificate verify failed") }
        XCTAssertEqual(failures.count, 3, "\(harness!.log.all)")
        XCTAssertTrue(failures.allSatisfy { $0.contains("www.lemonde.fr") && $0.hasSuffix(" error_kind=egress") }, "\(failures)")
        let metrics = PrometheusText.parse(String(decoding: harness!.server.metrics.render(), as: UTF8.self))
        XCTAssertEqual(metrics[#"enclave_egress_requests_total{outcome="failed"}"#], 3)
        XCTAssertEqual(metrics[#"enclave_egress_requests_total{outcome="answered"}"#], 1)
    }
}
