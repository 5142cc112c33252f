import EnclaveServer
import XCTest

/// The ClientHello parser on hand-built and hostile inputs: every prefix, every corruption.
final class RATLSClientHelloTests: XCTestCase {
    /// A ClientHello record with the given extensions (type, data), optionally split into records.
    static func clientHello(extensions: [(UInt16, [UInt8])], recordSize: Int = 16_384) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        var extensionBytes: [UInt8] = []
        for (type, data) in extensions { extensionBytes += u16(Int(type)) + u16(data.count) + data }
        var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 0xAB, count: 32)
        body += [32] + [UInt8](repeating: 0x11, count: 32)  // session id
        body += u16(4) + [0x13, 0x01, 0x13, 0x02]  // cipher suites
        body += [1, 0]  // compression
        body += u16(extensionBytes.count) + extensionBytes
        let message: [UInt8] = [1, UInt8(body.count >> 16 & 0xFF), UInt8(body.count >> 8 & 0xFF), UInt8(body.count & 0xFF)] + body
        var records: [UInt8] = []
        var offset = 0
        while offset < message.count {
            let chunk = Array(message[offset ..< min(message.count, offset + recordSize)])
            records += [0x16, 0x03, 0x01] + u16(chunk.count) + chunk
            offset += chunk.count
        }
        return records
    }

    static func sni(_ name: String) -> (UInt16, [UInt8]) {
        let bytes = Array(name.utf8)
        let entry: [UInt8] = [0, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
        return (0, [UInt8(entry.count >> 8), UInt8(entry.count & 0xFF)] + entry)
    }

    func testSNIAndNonceAreRead() throws {
        let nonce = (0 ..< 64).map { UInt8($0) }
        let hello = Self.clientHello(extensions: [(10, [0, 2, 0, 29]), Self.sni("Demo.Example"), (0xFFBB, nonce)])
        XCTAssertEqual(try ClientHelloParser.parse(hello), .complete(ClientHelloSummary(serverName: "demo.example", challengeNonce: nonce)))
        XCTAssertEqual(try ClientHelloParser.parse(Self.clientHello(extensions: [])), .complete(ClientHelloSummary()))
    }

    func testEveryPrefixNeedsMoreDataAndSplitRecordsReassemble() throws {
        let hello = Self.clientHello(extensions: [Self.sni("a.b"), (0xFFBB, [1, 2, 3])], recordSize: 7)
        for length in 0 ..< hello.count {
            XCTAssertEqual(try ClientHelloParser.parse(Array(hello[..<length])), .needMoreData, "prefix \(length)")
        }
        XCTAssertEqual(try ClientHelloParser.parse(hello), .complete(ClientHelloSummary(serverName: "a.b", challengeNonce: [1, 2, 3])))
    }

    func testMalformedInputsAreRefusedWithAReason() {
        let cases: [([UInt8], ClientHelloError)] = [
            (Self.clientHello(extensions: [(0xFFBB, [])]), .invalidChallengeNonce(length: 0)),
            (Self.clientHello(extensions: [(0xFFBB, [UInt8](repeating: 1, count: 65))]), .invalidChallengeNonce(length: 65)),
            (Self.clientHello(extensions: [(0xFFBB, [1]), (0xFFBB, [2])]), .duplicateExtension(0xFFBB)),
            (Self.clientHello(extensions: [Self.sni("bad/name")]), .invalidServerName("host_name of 8 bytes is not a DNS name")),
            ([0x17, 0x03, 0x03, 0x00, 0x01, 0x00], .notHandshakeRecord(contentType: 0x17)),
            ([0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00], .notClientHello(messageType: 2)),
        ]
        for (input, expected) in cases {
            XCTAssertThrowsError(try ClientHelloParser.parse(input)) { XCTAssertEqual($0 as? ClientHelloError, expected) }
        }
    }

    func testRandomCorruptionNeverCrashes() {
        let hello = Self.clientHello(extensions: [Self.sni("demo.example"), (0xFFBB, [9, 9, 9]), (43, [2, 3, 4])])
        var generator = SystemRandomNumberGenerator()
        for _ in 0 ..< 20_000 {
            var corrupted = hello
            for _ in 0 ..< Int.random(in: 1 ... 4, using: &generator) {
                corrupted[Int.random(in: 0 ..< corrupted.count, using: &generator)] = UInt8.random(in: 0 ... 255, using: &generator)
            }
            let cut = Int.random(in: 0 ... corrupted.count, using: &generator)
            _ = try? ClientHelloParser.parse(Array(corrupted[..<cut]))  // must return or throw, never trap
        }
    }
}
