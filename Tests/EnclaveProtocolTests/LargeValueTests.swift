import Foundation
import XCTest
@testable import EnclaveProtocol

/// Base64, the base64 envelope, chunked heads, string escaping and the frame reader: the pieces
/// that carry large components and results.
final class LargeValueTests: XCTestCase {
    private func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    func testBase64MatchesFoundationBothWays() {
        for count in Array(0...40) + [255, 256, 257, 4096, 65_537] {
            let bytes = randomBytes(count)
            let reference = Data(bytes).base64EncodedString()
            XCTAssertEqual(Base64.encode(bytes), reference, "\(count) bytes")
            XCTAssertEqual(Base64.decode(reference), bytes, "\(count) bytes")
            XCTAssertEqual(Base64.decode(String(reference.prefix { $0 != "=" })), bytes, "unpadded, \(count) bytes")
            XCTAssertEqual(Base64.encodedLength(count), reference.utf8.count)
        }
    }

    func testBase64RefusesWhatIsNotBase64() {
        for text in ["A", "AAAAA", "AA*A", "AA=A", "AAA===", "QQ==\n", "é"] {
            XCTAssertNil(Base64.decode(text), text)
        }
    }

    func testBase64DataEnvelopeIsAnsweredInKind() {
        let inner = Array(#"{"wasm_list":{}}"#.utf8)
        let asBase64 = Request.data(inner).encoded(bytesAs: .base64)
        XCTAssertEqual(String(decoding: asBase64, as: UTF8.self), #"{"Data":"eyJ3YXNtX2xpc3QiOnt9fQ=="}"#)
        XCTAssertTrue(Request.decodeWithEncoding(asBase64) == (.data(inner), .base64))
        XCTAssertTrue(Request.decodeWithEncoding(Request.data(inner).encoded()) == (.data(inner), .integerArray))
        // With whitespace and an escaped slash (as some JSON writers send) the general parser answers.
        let spaced = Array(#" { "Data" : "eyJ3YXNtX2xpc3QiOnt9fQ==" } "#.utf8)
        XCTAssertTrue(Request.decodeWithEncoding(spaced) == (.data(inner), .base64))
        XCTAssertEqual(Request.decode(Array(#"{"Data":"\/w=="}"#.utf8)), .data([0xFF]))
        XCTAssertEqual(Request.decode(Array(#"{"Data":"not base64!"}"#.utf8)), .invalid)
        for response in [Response.data(inner), .error("bad thing"), .pong, .ok] {
            XCTAssertEqual(Response.decode(response.encoded(bytesAs: .base64)), response)
            XCTAssertEqual(Response.decode(response.encoded(bytesAs: .integerArray)), response)
        }
    }

    func testDataEnvelopeLengthIsExact() {
        for count in [0, 1, 2, 3, 99, 1000] {
            let bytes = randomBytes(count) + [0, 9, 10, 99, 100, 255]
            for encoding in [ByteEncoding.integerArray, .base64] {
                XCTAssertEqual(Response.dataEnvelopeLength(of: bytes, as: encoding), Response.data(bytes).encoded(bytesAs: encoding).count)
            }
        }
    }

    func testChunkedHeadRoundTrips() {
        let head = ChunkedHead(size: 16 << 20, chunks: 2, sha256: String(repeating: "0f", count: 32))
        let payload = Response.chunked(head).encoded()
        XCTAssertEqual(String(decoding: payload, as: UTF8.self),
                       #"{"Chunked":{"size":16777216,"chunks":2,"sha256":"\#(head.sha256)"}}"#)
        XCTAssertEqual(Response.decode(payload), .chunked(head))
        XCTAssertNil(Response.decode(Array(#"{"Chunked":{"size":-1,"chunks":2,"sha256":"x"}}"#.utf8)))
    }

    func testStringEscapingIsSerdes() throws {
        // serde_json escapes `"`, `\` and control characters only; everything else is raw UTF-8.
        let text = String(decoding: Array(0..<128) + Array("é😀/".utf8), as: UTF8.self)
        let written = String(decoding: JSON.string(text).serialized(), as: UTF8.self)
        XCTAssertTrue(written.hasPrefix(#""\u0000\u0001"#), written)
        XCTAssertTrue(written.contains(#"\b\t\n\u000b\f\r"#), written)
        XCTAssertTrue(written.contains(##" !\"#"##), written)
        XCTAssertTrue(written.contains(#"[\\]"#), written)
        XCTAssertTrue(written.hasSuffix("é😀/\""), written)
        XCTAssertEqual(try JSON.parse(Array(written.utf8)), .string(text))
    }

    func testLargeStringAndByteArrayRoundTrip() throws {
        let big = String(repeating: "a", count: 4 << 20) + "\"end\\"
        let document = JSON.object(["value": .string(big), "bytes": .bytes([0, 1, 255, 100, 10])])
        let parsed = try JSON.parse(document.serialized())
        XCTAssertEqual(parsed["value"]?.stringValue?.utf8.count, big.utf8.count)
        XCTAssertEqual(parsed["value"], .string(big))
        XCTAssertEqual(parsed["bytes"]?.byteArray(), [0, 1, 255, 100, 10])
        XCTAssertEqual(JSON.uint(UInt64.max).serializedString, "18446744073709551615")
        XCTAssertEqual(JSON.int(-12).serializedString, "-12")
    }

    func testFrameReaderWaitsForTheBodyToBeStarted() throws {
        var reader = FrameReader(maxPayload: 100)
        let wire = Frame.encode([1, 2, 3]) + Frame.encode([])
        var step = try wire.withUnsafeBytes { try reader.consume($0) }
        XCTAssertEqual(step.consumed, 4)
        XCTAssertEqual(step.event, .header(length: 3))
        XCTAssertEqual(reader.pendingLength, 3)
        // Nothing more is taken until the body is started (the server reserves memory first).
        step = try wire.withUnsafeBytes { try reader.consume(UnsafeRawBufferPointer(rebasing: $0[4...])) }
        XCTAssertEqual(step.consumed, 0)
        XCTAssertNil(step.event)
        reader.startBody()
        step = try wire.withUnsafeBytes { try reader.consume(UnsafeRawBufferPointer(rebasing: $0[4...])) }
        XCTAssertEqual(step.consumed, 3)
        XCTAssertEqual(step.event, .frame([1, 2, 3]))
        step = try wire.withUnsafeBytes { try reader.consume(UnsafeRawBufferPointer(rebasing: $0[7...])) }
        XCTAssertEqual(step.event, .header(length: 0))
        reader.startBody()
        step = try [UInt8]().withUnsafeBytes { try reader.consume($0) }
        XCTAssertEqual(step.event, .frame([]), "an empty frame completes without any byte")
        XCTAssertThrowsError(try [UInt8]([0, 0, 0, 101]).withUnsafeBytes { try reader.consume($0) })
    }
}
