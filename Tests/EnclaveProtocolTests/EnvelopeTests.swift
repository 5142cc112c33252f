import XCTest
@testable import EnclaveProtocol

final class EnvelopeTests: XCTestCase {
    private func request(_ text: String) -> Request { Request.decode(Array(text.utf8)) }

    func testOuterRequests() {
        XCTAssertEqual(request("\"Ping\""), .ping)
        XCTAssertEqual(request("\"Shutdown\""), .shutdown(token: nil))
        XCTAssertEqual(request(#"{"Shutdown":{"token":"s3cret"}}"#), .shutdown(token: "s3cret"))
        XCTAssertEqual(request(#"{"Data":[104, 105]}"#), .data([104, 105]))
        XCTAssertEqual(request(#"{"Data":[]}"#), .data([]))
        XCTAssertEqual(request(#"{"Data":"aGk="}"#), .data([104, 105]))
        for bad in ["", "\"Pong\"", "{\"Data\":[256]}", "{\"Data\":[1,]}", "{\"Data\":[01]}", "{\"Nope\":1}", "[1]", "garbage", "{\"Data\":[1],\"x\":2}"] {
            XCTAssertEqual(request(bad), .invalid, bad)
        }
    }

    func testFastDataPathAgreesWithTheGeneralParser() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let bytes = (0..<Int.random(in: 0...50, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let spaced = "{ \"Data\" : [ " + bytes.map(String.init).joined(separator: " , ") + " ] }"
            XCTAssertEqual(DataArrayScanner.scan(Array(spaced.utf8)), bytes)
            XCTAssertEqual(try JSON.parse(Array(spaced.utf8))["Data"]?.byteArray(), bytes)
        }
    }

    func testResponsesAreCompactAndExact() {
        XCTAssertEqual(String(decoding: Response.pong.encoded(), as: UTF8.self), "\"Pong\"")
        XCTAssertEqual(String(decoding: Response.ok.encoded(), as: UTF8.self), "\"Ok\"")
        XCTAssertEqual(String(decoding: Response.data(Array("world".utf8)).encoded(), as: UTF8.self), #"{"Data":[119,111,114,108,100]}"#)
        XCTAssertEqual(String(decoding: Response.error("invalid JSON request").encoded(), as: UTF8.self),
                       #"{"Error":["# + Array("invalid JSON request".utf8).map(String.init).joined(separator: ",") + "]}")
        XCTAssertEqual(Response.decode(Response.error("é").encoded()), .error("é"))
        XCTAssertEqual(Response.decode(Response.data([0, 255]).encoded()), .data([0, 255]))
    }

    func testRequestsRoundTrip() {
        for r: Request in [.ping, .data([1, 2, 3]), .shutdown(token: nil), .shutdown(token: "t")] {
            XCTAssertEqual(Request.decode(r.encoded()), r)
        }
    }
}
