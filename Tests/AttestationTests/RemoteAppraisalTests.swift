import EnclaveClient
import Foundation
import XCTest

@testable import Attestation

/// Remote appraisal against a local stand-in (`python/appraisal_standin.py`, a real HTTPS
/// server) that speaks the original's shape: `POST` `{"quote": base64}` with a bearer token.
final class RemoteAppraisalTests: XCTestCase {
    /// A running stand-in: its URL, its CA, its request log; stopped at the end of the test.
    struct StandIn {
        let url: String
        let caPEM: [UInt8]
        let log: String

        static func start(_ test: XCTestCase, answer: String = #"{"status":"OK","tcbStatus":"UpToDate","advisoryIds":[]}"#) throws -> StandIn {
            let dir = try Fixtures.tempDirectory(test)
            let script = PythonCrossCheckTests.repositoryRoot.appendingPathComponent("python/appraisal_standin.py").path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script, "--dir", dir, "--token", "s3cret", "--answer", answer]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            test.addTeardownBlock {
                process.terminate()
                process.waitUntilExit()
            }
            // The first line is "listening on PORT" once the socket is bound.
            var line = [UInt8]()
            while let byte = try out.fileHandleForReading.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") { line.append(byte) }
            let text = String(decoding: line, as: UTF8.self)
            guard text.hasPrefix("listening on "), let port = Int(text.dropFirst("listening on ".count)) else {
                throw Fixtures.Failure("stand-in did not start: '\(text)'")
            }
            return StandIn(url: "https://localhost:\(port)/verify", caPEM: try Fixtures.read(dir + "/ca.pem"), log: dir + "/requests.jsonl")
        }

        func requests() throws -> [[String: Any]] {
            try String(decoding: Fixtures.read(log), as: UTF8.self).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
            }
        }
    }

    func testSendsTheOriginalRequestAndAcceptsOK() throws {
        let standIn = try StandIn.start(self)
        let quote = try Vectors.read("tdx-v4-dcap-qvl/quote.bin")
        var report = VerificationReport()
        RemoteAppraiser(url: standIn.url, token: "s3cret", trustRootsPEM: standIn.caPEM).appraise(evidence: quote, into: &report)
        XCTAssertTrue(report.passed, report.description)
        let request = try XCTUnwrap(try standIn.requests().first)
        XCTAssertEqual(request["path"] as? String, "/verify")
        XCTAssertEqual(request["authorization"] as? String, "Bearer s3cret")
        XCTAssertEqual(request["content_type"] as? String, "application/json")
        let body = try JSONSerialization.jsonObject(with: Data((request["body"] as? String ?? "").utf8)) as? [String: String]
        XCTAssertEqual(body?.keys.sorted(), ["quote"])
        XCTAssertEqual(Data(base64Encoded: body?["quote"] ?? "").map { [UInt8]($0) }, quote)
    }

    func testRefusesOtherVerdictsBadTokensAndUntrustedServers() throws {
        let outOfDate = try StandIn.start(self, answer: #"{"status":"TCB_OUT_OF_DATE","advisoryIds":["INTEL-SA-00615"]}"#)
        var report = VerificationReport()
        RemoteAppraiser(url: outOfDate.url, token: "s3cret", trustRootsPEM: outOfDate.caPEM).appraise(evidence: [1, 2, 3], into: &report)
        XCTAssertEqual(report.failures.map(\.name), ["remote-appraisal"])
        XCTAssertTrue(report.description.contains("TCB_OUT_OF_DATE") && report.description.contains("INTEL-SA-00615"), report.description)

        let standIn = try StandIn.start(self)
        var wrongToken = VerificationReport()
        RemoteAppraiser(url: standIn.url, token: "nope", trustRootsPEM: standIn.caPEM).appraise(evidence: [1], into: &wrongToken)
        XCTAssertTrue(wrongToken.description.contains("HTTP 401"), wrongToken.description)
        var untrusted = VerificationReport()
        RemoteAppraiser(url: standIn.url, token: "s3cret").appraise(evidence: [1], into: &untrusted)
        XCTAssertFalse(untrusted.passed, "a server no trusted CA vouches for must not be believed")
        var clear = VerificationReport()
        RemoteAppraiser(url: standIn.url.replacingOccurrences(of: "https:", with: "http:")).appraise(evidence: [1], into: &clear)
        XCTAssertTrue(clear.description.contains("must be https://"), clear.description)
    }

    func testVerdictParsing() {
        XCTAssertTrue(RemoteAppraisal.verdict(responseBody: Array(#"{"status":"OK"}"#.utf8)).accepted)
        XCTAssertFalse(RemoteAppraisal.verdict(responseBody: Array(#"{"status":"TCB_REVOKED"}"#.utf8), accepted: ["TCB_REVOKED"]).accepted)
        XCTAssertFalse(RemoteAppraisal.verdict(responseBody: Array(#"{"status":"FINE"}"#.utf8), accepted: ["FINE"]).accepted)
        XCTAssertFalse(RemoteAppraisal.verdict(responseBody: Array("not json".utf8)).accepted)
        XCTAssertEqual(RemoteAppraisal.requestBody(evidence: [0xFF, 0x00]), Array(#"{"quote":"/wA="}"#.utf8))
    }
}
