import EnclaveProtocol
import Foundation
import NIOCore
import NIOHTTP1
import XCTest
@testable import EnclaveServer

/// HTTP answers written as one buffer: their bytes, and their framing as another HTTP
/// implementation (Python's `http.client`) reads it on one keep-alive connection over real TLS.
final class HTTPResponseWireTests: XCTestCase {
    private func text(_ answer: HTTPAnswer, close: Bool = false, method: HTTPMethod?) -> String {
        let buffer = HTTPResponseWire.serialize(answer, close: close, method: method, allocator: ByteBufferAllocator())
        return String(decoding: buffer.readableBytesView, as: UTF8.self)
    }

    func testAnAnswerIsItsStatusLineHeadersAndBody() {
        var answer = HTTPAnswer.error(.methodNotAllowed, "no")
        answer.extraHeaders = [("Allow", "POST")]
        XCTAssertEqual(text(answer, close: true, method: .GET),
                       "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\nContent-Length: 14\r\n"
                           + "Allow: POST\r\nConnection: close\r\n\r\n{\"error\":\"no\"}")
        XCTAssertEqual(text(.json(Array("{}".utf8)), method: nil),
                       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        XCTAssertEqual(text(HTTPAnswer(status: .accepted, contentType: HTTPAnswer.jsonType, body: []), method: .POST),
                       "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n")
    }

    func testHeadKeepsTheLengthWithoutTheBodyAndConnectHasNeither() {
        let answer = HTTPAnswer.json(Array(#"{"status":"ok"}"#.utf8))
        XCTAssertEqual(text(answer, method: .HEAD), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n")
        XCTAssertEqual(text(answer, method: .CONNECT), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
    }

    func testLengthsInDecimal() {
        for value in [0, 7, 10, 99, 1234567, 16 * 1024 * 1024, Int.max] {
            var buffer = ByteBufferAllocator().buffer(capacity: 20)
            HTTPResponseWire.writeDecimal(value, into: &buffer)
            XCTAssertEqual(String(decoding: buffer.readableBytesView, as: UTF8.self), String(value))
        }
    }

    /// HEAD, then GET and POST on the same connection: a body sent after HEAD's head, or a
    /// length that disagreed with the body, would break the next answer's parsing.
    func testPythonsClientReadsEachAnswerOnOneConnection() async throws {
        let harness = try await ServerHarness.start()
        let script = #"""
        import http.client, json, ssl, sys
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        connection = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=context, timeout=10)
        seen = []
        for method, path, body in [("HEAD", "/healthz", None), ("GET", "/healthz", None),
                                   ("POST", "/data", b'{"wasm_list":{}}'), ("HEAD", "/nowhere", None), ("GET", "/readyz", None)]:
            connection.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
            response = connection.getresponse()
            seen.append([response.status, response.getheader("Content-Length"), response.read().decode()])
        print(json.dumps(seen))
        """#
        let run = Result { try RATLSProcess.run(["python3", "-c", script, String(try XCTUnwrap(harness.address.port))]) }
        await harness.stop()
        let output = try run.get()
        XCTAssertEqual(output.status, 0, output.stderr)
        let seen = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[Any]], output.stdout)
        XCTAssertEqual(seen.count, 5)
        XCTAssertEqual(seen[0][0] as? Int, 405, "HEAD /healthz: the route is GET only")
        XCTAssertEqual(seen[0][2] as? String, "", "no body after a HEAD's head")
        XCTAssertEqual(seen[1][0] as? Int, 200)
        XCTAssertEqual(seen[1][2] as? String, #"{"status":"ok"}"#)
        XCTAssertEqual(seen[1][1] as? String, "15")
        XCTAssertEqual(seen[2][2] as? String, #"{"status":"apps","apps":[]}"#)
        XCTAssertEqual(seen[3][0] as? Int, 404)
        XCTAssertEqual(seen[3][2] as? String, "")
        XCTAssertEqual(seen[4][0] as? Int, 200)
    }
}
