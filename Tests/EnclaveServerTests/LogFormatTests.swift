import EnclaveServer
import Foundation
import Logging
import XCTest

/// The two line formats of the server's log handler with hostile content: one entry stays one
/// bounded line, and a JSON line stays valid JSON.
final class LogFormatTests: XCTestCase {
    private final class Lines: @unchecked Sendable {
        // @unchecked: `stored` is only touched under `lock`.
        private let lock = NSLock()
        private var stored: [String] = []
        func append(_ line: String) { lock.withLock { stored.append(line) } }
        var all: [String] { lock.withLock { stored } }
    }

    private static let hostile = "forged\nWARNING: INSECURE \"quoted\" \\ tab\t esc\u{1b}[31m nul\u{0} sep\u{2028}end"

    func testJSONLinesParseWithHostileMessagesAndMetadata() throws {
        let lines = Lines()
        let logger = ForwardingLogHandler.logger(label: "enclave-os", logLevel: .debug, format: .json) { lines.append($0) }
        logger.notice("\(Self.hostile)", metadata: ["app": "\(Self.hostile)", "fuel": .stringConvertible(UInt64(1234)),
                                                    "nested": ["list": ["a", "b"]]])
        logger.info("\(String(repeating: "x", count: 100_000))")
        logger.trace("below the level: not written")
        XCTAssertEqual(lines.all.count, 2)
        for line in lines.all {
            XCTAssertFalse(line.contains("\n") || line.contains("\u{2028}"), line)
            XCTAssertLessThan(line.utf8.count, 2 * ForwardingLogHandler.maxMessageBytes)
        }
        let first = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: Any])
        XCTAssertEqual(first["level"] as? String, "notice")
        XCTAssertEqual(first["label"] as? String, "enclave-os")
        XCTAssertEqual(first["message"] as? String, Self.hostile, "escaped, not altered")
        XCTAssertNotNil((first["timestamp"] as? String).flatMap { ISO8601DateFormatter.withFractionalSeconds.date(from: $0) },
                        "\(first["timestamp"] ?? "none")")
        let metadata = try XCTUnwrap(first["metadata"] as? [String: Any])
        XCTAssertEqual(metadata["app"] as? String, Self.hostile)
        XCTAssertEqual((metadata["fuel"] as? NSNumber)?.intValue, 1234)
        XCTAssertEqual((metadata["nested"] as? [String: Any])?["list"] as? [String], ["a", "b"])
        let long = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines.all[1].utf8)) as? [String: Any])
        XCTAssertTrue((long["message"] as? String)?.hasSuffix("…(100000 bytes)") ?? false)
    }

    func testTextLinesKeepOneLinePerEntry() {
        let lines = Lines()
        let logger = ForwardingLogHandler.logger(label: "enclave-os", format: .text) { lines.append($0) }
        logger.info("listening on 127.0.0.1:1 (TLS 1.3 only)")
        logger.warning("\(Self.hostile)", metadata: ["app": "\(Self.hostile)"])
        logger.debug("below the level: not written")
        XCTAssertEqual(lines.all.first, "listening on 127.0.0.1:1 (TLS 1.3 only)", "info lines read as plain sentences")
        XCTAssertEqual(lines.all.count, 2)
        let warning = lines.all[1]
        XCTAssertTrue(warning.hasPrefix("warning: forged\\nWARNING"), warning)
        XCTAssertFalse(warning.contains("\n") || warning.contains("\u{1b}") || warning.contains("\u{2028}"), warning)
        XCTAssertTrue(warning.contains(" app=forged\\n"), warning)
    }
}

private extension ISO8601DateFormatter {
    static var withFractionalSeconds: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
