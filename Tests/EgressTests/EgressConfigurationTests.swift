import Egress
import Foundation
import XCTest

final class EgressConfigurationTests: XCTestCase {
    func testParseResolve() throws {
        let map = try EgressConfiguration.parseResolve([
            "www.lemonde.fr:443=127.0.0.1:8444", "WWW.Lemonde.fr:8443=127.0.0.1:9000", "v6.test:443=[::1]:8444",
        ])
        XCTAssertEqual(map["www.lemonde.fr:443"], EgressResolveTarget(host: "127.0.0.1", port: 8444))
        XCTAssertEqual(map["www.lemonde.fr:8443"], EgressResolveTarget(host: "127.0.0.1", port: 9000))
        XCTAssertEqual(map["v6.test:443"], EgressResolveTarget(host: "::1", port: 8444))
    }

    func testParseResolveErrorsSayWhatIsWrong() {
        let cases: [(String, String)] = [
            ("www.lemonde.fr:443", "expected HOST:PORT=ADDR:PORT"),
            ("www.lemonde.fr=127.0.0.1:1", "has no :PORT"),
            ("www.lemonde.fr:0=127.0.0.1:1", "port '0' is not in 1...65535"),
            ("www.lemonde.fr:443=127.0.0.1:x", "port 'x' is not in 1...65535"),
            (":443=127.0.0.1:1", "empty or invalid host"),
            ("v6:443=[::1:1", "must be [ADDR]:PORT"),
        ]
        for (entry, needle) in cases {
            XCTAssertThrowsError(try EgressConfiguration.parseResolve([entry]), entry) { error in
                let text = String(describing: error)
                XCTAssertTrue(text.contains(needle) && text.contains(entry), "\(entry): \(text)")
            }
        }
        XCTAssertThrowsError(try EgressConfiguration.parseResolve(["a.test:443=10.0.0.1:1", "a.test:8443=10.0.0.2:1"])) { error in
            XCTAssertTrue(String(describing: error).contains("same address"))
        }
    }

    func testBundleErrorsAndSystemBundle() throws {
        XCTAssertThrowsError(try HTTPSEgress(configuration: EgressConfiguration(caBundlePath: "/nonexistent/ca.pem"))) { error in
            XCTAssertEqual(String(describing: error), "egress configuration: cannot read CA bundle /nonexistent/ca.pem: no such file or not readable")
        }
        let junk = FileManager.default.temporaryDirectory.appendingPathComponent("junk-\(UUID().uuidString).pem")
        try Data("not a certificate\n".utf8).write(to: junk)
        defer { try? FileManager.default.removeItem(at: junk) }
        XCTAssertThrowsError(try HTTPSEgress(configuration: EgressConfiguration(caBundlePath: junk.path)))
        // The default is the system's Mozilla bundle, when the machine has one.
        let system = try XCTUnwrap(EgressConfiguration.systemBundleCandidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }),
                                   "no system CA bundle on this machine (scripts/test installs ca-certificates)")
        let egress = try HTTPSEgress()
        XCTAssertEqual(egress.trustBundle.path, system)
        XCTAssertGreaterThan(egress.trustBundle.certificates.count, 50)
        try egress.syncShutdown()
    }
}
