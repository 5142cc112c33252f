import Crypto
import Egress
import Foundation
import NIOCore
import NIOPosix
import XCTest

/// Real TLS against `tests/fixtures/news_server.py` on 127.0.0.1, with a CA made at test time.
final class HTTPSEgressTests: XCTestCase {
    // nonisolated(unsafe): XCTest writes these in the class's `setUp` before its first test and
    // clears them in `tearDown` after its last, on the thread that runs the tests one by one;
    // the tests only read them.
    nonisolated(unsafe) static var pki: TestPKI?
    nonisolated(unsafe) static var server: NewsServerProcess?

    override class func setUp() {
        super.setUp()
        do {
            let pki = try TestPKI.make()
            Self.pki = pki
            Self.server = try NewsServerProcess(pki: pki)
        } catch {
            print("news fixture failed to start: \(error)")
        }
    }

    override class func tearDown() {
        server?.stop()
        if let directory = pki?.directory { try? FileManager.default.removeItem(at: directory) }
        super.tearDown()
    }

    /// A client trusting `bundle` (the test CA by default), with www.lemonde.fr:443 and
    /// www.example.org:443 mapped to the fixture.
    func makeEgress(bundle: String? = nil, _ adjust: (inout EgressConfiguration) -> Void = { _ in }) throws -> HTTPSEgress {
        let pki = try XCTUnwrap(Self.pki, "test PKI missing")
        let port = try XCTUnwrap(Self.server?.port, "news fixture not running")
        var configuration = EgressConfiguration(
            caBundlePath: bundle ?? pki.caPEMPath,
            resolve: try EgressConfiguration.parseResolve([
                "www.lemonde.fr:443=127.0.0.1:\(port)", "www.example.org:443=127.0.0.1:\(port)",
            ]))
        adjust(&configuration)
        return try HTTPSEgress(configuration: configuration)
    }

    func failure(_ result: Result<EgressResponse, EgressError>, file: StaticString = #filePath, line: UInt = #line) -> EgressError? {
        switch result {
        case .success(let response):
            XCTFail("expected an error, got HTTP \(response.status)", file: file, line: line)
            return nil
        case .failure(let error): return error
        }
    }

    func testFetchThroughResolveAndOperatorBundle() async throws {
        let egress = try makeEgress()
        let response = try await egress.fetch(method: .get, url: "https://www.lemonde.fr").get()
        XCTAssertEqual(response.status, 200)
        let page = String(decoding: response.body, as: UTF8.self)
        XCTAssertGreaterThan(page.components(separatedBy: "<h3").count - 1, 10)
        XCTAssertTrue(page.contains("<h3 class=\"article__title\">Le <em>budget</em> 2026 adopté</h3>"))
        XCTAssertEqual(response.header("content-type"), "text/html; charset=utf-8")
        // The attested hash is the hash of the exact bytes loaded.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: try XCTUnwrap(Self.pki).caPEMPath))
        XCTAssertEqual(egress.bundleHash, Array(SHA256.hash(data: bytes)))
        XCTAssertEqual(egress.trustBundle.sha256Hex.count, 64)
        try await egress.shutdown()
    }

    func testHTTPIsRefused() async throws {
        let egress = try makeEgress()
        for url in ["http://www.lemonde.fr/", "HTTP://www.lemonde.fr", "ftp://x", "www.lemonde.fr"] {
            let error = failure(await egress.fetch(method: .get, url: url))
            XCTAssertEqual(error, .onlyHTTPS, url)
            XCTAssertEqual(error?.description, "only https:// URLs are supported")
        }
        try await egress.shutdown()
    }

    func testUntrustedCAFailsWithinTwoSeconds() async throws {
        let egress = try makeEgress(bundle: try XCTUnwrap(Self.pki).rogueCAPEMPath)
        let started = Date()
        let error = failure(await egress.fetch(method: .get, url: "https://www.lemonde.fr/"))
        let elapsed = Date().timeIntervalSince(started)
        guard case .certificateVerifyFailed(let host, _) = error else {
            return XCTFail("expected a certificate error, got \(String(describing: error))")
        }
        XCTAssertEqual(host, "www.lemonde.fr")
        XCTAssertTrue(error?.description.hasPrefix("certificate verify failed for www.lemonde.fr: ") ?? false)
        XCTAssertLessThan(elapsed, 2, "a failed certificate check must fail fast")
        try await egress.shutdown()
    }

    func testHostnameMismatch() async throws {
        let egress = try makeEgress()
        let error = failure(await egress.fetch(method: .get, url: "https://www.example.org/"))
        guard case .certificateVerifyFailed(let host, _) = error else {
            return XCTFail("expected a certificate error, got \(String(describing: error))")
        }
        XCTAssertEqual(host, "www.example.org")
        XCTAssertEqual(error?.description, "certificate verify failed for www.example.org: the certificate is not valid for this host name")
        try await egress.shutdown()
    }

    func testBodyOverCapFailsWhileStreaming() async throws {
        let egress = try makeEgress()
        for path in ["/big", "/big-chunked"] {
            let error = failure(await egress.fetch(method: .get, url: "https://www.lemonde.fr\(path)"))
            XCTAssertEqual(error, .responseBodyTooLarge(limit: 2_097_152), path)
            XCTAssertEqual(error?.description, "response body exceeds 2097152 bytes")
        }
        // A smaller cap applies to the front page too, so the cap is not just a Content-Length check.
        let small = try makeEgress { $0.maxResponseBodyBytes = 100 }
        let capped = await small.fetch(method: .get, url: "https://www.lemonde.fr/")
        XCTAssertEqual(failure(capped), .responseBodyTooLarge(limit: 100))
        // HEAD announces 3 MiB but carries no body: fine.
        let head = try await egress.fetch(method: .head, url: "https://www.lemonde.fr/big").get()
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.body, [])
        try await egress.shutdown()
        try await small.shutdown()
    }

    func testNon200ReturnsTheStatus() async throws {
        let egress = try makeEgress()
        for code in [404, 503] {
            let response = try await egress.fetch(method: .get, url: "https://www.lemonde.fr/status/\(code)").get()
            XCTAssertEqual(response.status, UInt16(code))
        }
        try await egress.shutdown()
    }

    func testRedirectIsNotFollowed() async throws {
        let egress = try makeEgress()
        let response = try await egress.fetch(method: .get, url: "https://www.lemonde.fr/redirect").get()
        XCTAssertEqual(response.status, 302)
        XCTAssertEqual(response.header("location"), "/")
        let toHTTP = try await egress.fetch(method: .get, url: "https://www.lemonde.fr/redirect-http").get()
        XCTAssertEqual(toHTTP.status, 302)
        try await egress.shutdown()
    }

    func testPostHeadersBodyAndHostHeader() async throws {
        let egress = try makeEgress()
        let response = try await egress.fetch(
            method: .post, url: "https://www.lemonde.fr/echo?q=1",
            headers: [("X-App", "demo"), ("Host", "evil.example"), ("Content-Length", "1")],
            body: Array("hello".utf8)
        ).get()
        let echo = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        XCTAssertEqual(echo["method"] as? String, "POST")
        XCTAssertEqual(echo["path"] as? String, "/echo?q=1")
        XCTAssertEqual(echo["body_hex"] as? String, "68656c6c6f")
        let headers = (echo["headers"] as? [[String]]) ?? []
        XCTAssertTrue(headers.contains(["x-app", "demo"]))
        // Host is the URL's (not the rewritten port, not the app's), so virtual hosts work.
        XCTAssertEqual(headers.filter { $0.first == "host" }, [["host", "www.lemonde.fr"]])
        XCTAssertEqual(headers.filter { $0.first == "content-length" }, [["content-length", "5"]])
        try await egress.shutdown()
    }

    func testBadRequestsAreRefusedBeforeConnecting() async throws {
        let egress = try makeEgress { $0.maxRequestBodyBytes = 10 }
        let url = "https://www.lemonde.fr/echo"
        let tooBig = await egress.fetch(method: .post, url: url, body: Array(repeating: 0, count: 11))
        XCTAssertEqual(failure(tooBig), .requestBodyTooLarge(limit: 10))
        guard case .invalidHeader = failure(await egress.fetch(method: .get, url: url, headers: [("bad name", "x")])) else {
            return XCTFail("a header name with a space must be refused")
        }
        guard case .invalidHeader = failure(await egress.fetch(method: .get, url: url, headers: [("x", "a\r\nInjected: 1")])) else {
            return XCTFail("CR/LF in a header value must be refused")
        }
        let otherPort = await egress.fetch(method: .get, url: "https://www.lemonde.fr:8443/")
        XCTAssertEqual(failure(otherPort), .portNotResolved(host: "www.lemonde.fr", port: 8443))
        guard case .invalidTrustRoot = failure(await egress.fetch(method: .get, url: url, trustRoots: [[1, 2, 3]])) else {
            return XCTFail("garbage DER roots must be refused")
        }
        XCTAssertThrowsError(try EgressMethod(witCode: 7))
        try await egress.shutdown()
    }

    func testPerRequestDERRootsReplaceTheBundle() async throws {
        let pki = try XCTUnwrap(Self.pki)
        let egress = try makeEgress(bundle: pki.rogueCAPEMPath)
        let response = try await egress.fetch(method: .get, url: "https://www.lemonde.fr/", trustRoots: [pki.caDER]).get()
        XCTAssertEqual(response.status, 200)
        try await egress.shutdown()
    }

    func testTimeoutAndRefusedConnection() async throws {
        let egress = try makeEgress()
        let started = Date()
        let error = failure(await egress.fetch(method: .get, url: "https://www.lemonde.fr/slow", timeout: .seconds(1)))
        XCTAssertEqual(error, .timeout(seconds: 1))
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertEqual(error?.description, "request timed out after 1 s")

        // A port nobody listens on (bound then closed): refused at once.
        let closed = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let closedPort = try XCTUnwrap(closed.localAddress?.port)
        try await closed.close()
        let refused = try makeEgress { $0.resolve["refused.test:443"] = EgressResolveTarget(host: "127.0.0.1", port: closedPort) }
        guard case .connectFailed(let host, let port, _) = failure(await refused.fetch(method: .get, url: "https://refused.test/")) else {
            return XCTFail("expected connectFailed")
        }
        XCTAssertEqual(host, "refused.test")
        XCTAssertEqual(port, 443)
        try await egress.shutdown()
        try await refused.shutdown()
    }

    func testBlockingBridgeFromAWorkerThreadAndRefusalOnAnEventLoop() async throws {
        let egress = try makeEgress()
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<EgressResponse, EgressError>, Never>) in
            Thread.detachNewThread {
                continuation.resume(returning: egress.fetchBlocking(method: .get, url: "https://www.lemonde.fr/status/503"))
            }
        }
        XCTAssertEqual(try result.get().status, 503)
        let onLoop = try await MultiThreadedEventLoopGroup.singleton.next().submit {
            egress.fetchBlocking(method: .get, url: "https://www.lemonde.fr/")
        }.get()
        XCTAssertEqual(failure(onLoop), .calledOnEventLoop)
        try await egress.shutdown()
    }
}
