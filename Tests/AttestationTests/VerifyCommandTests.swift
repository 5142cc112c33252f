import Foundation
import XCTest

@testable import Attestation

/// `enclave verify --evidence FILE --collateral DIR --at TIME [--policy FILE]` (the real binary,
/// built beside the test bundle by `swift build --build-tests`), and the Python verifier's
/// command line on the same vectors, with the same check names.
final class VerifyCommandTests: XCTestCase {
    static func enclaveBinary() throws -> String {
        let candidates = [
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
        ].map { $0.appendingPathComponent("enclave").path }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Fixtures.Failure("no enclave binary in \(candidates); run swift build --build-tests")
        }
        return found
    }

    /// Runs a command; returns its exit status and standard output.
    static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testEvidenceCollateralAtAndPolicy() throws {
        let binary = try Self.enclaveBinary()
        let base = ["verify", "--evidence", Vectors.directory + "/sgx-v3-dcap-qvl/quote.bin",
                    "--collateral", Vectors.directory + "/sgx-v3-dcap-qvl", "--at", "2025-07-01T00:00:00Z"]
        let (refused, refusedOutput) = try Self.run(binary, base)
        XCTAssertEqual(refused, 2, refusedOutput)  // verification failed (ExitStatus)
        XCTAssertTrue(refusedOutput.contains("FAIL tcb.status: ConfigurationAndSWHardeningNeeded, advisories INTEL-SA-00289, INTEL-SA-00615"), refusedOutput)

        let policy = try Fixtures.tempDirectory(self) + "/policy.json"
        try Fixtures.write(Array(#"{"accepted_tcb_statuses":["ConfigurationAndSWHardeningNeeded"],"measurements":{"MRENCLAVE":"33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb"}}"#.utf8), policy)
        let (status, output) = try Self.run(binary, base + ["--policy", policy])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("PASS measurement.MRENCLAVE"), output)
        XCTAssertTrue(output.contains("INFO tcb-status ConfigurationAndSWHardeningNeeded (INTEL-SA-00289, INTEL-SA-00615)"), output)
        XCTAssertTrue(output.hasSuffix("RESULT: verified\n"), output)

        let (expired, expiredOutput) = try Self.run(binary, base.dropLast(2) + ["--at", "2025-09-01T00:00:00Z", "--policy", policy])
        XCTAssertEqual(expired, 2)
        XCTAssertTrue(expiredOutput.contains("FAIL collateral.current: collateral expired"), expiredOutput)
    }

    func testAppraisalFromTheCommandLine() throws {
        let standIn = try RemoteAppraisalTests.StandIn.start(self)
        let ca = try Fixtures.tempDirectory(self) + "/ca.pem"
        try Fixtures.write(standIn.caPEM, ca)
        let (status, output) = try Self.run(try Self.enclaveBinary(), [
            "verify", "--evidence", Vectors.directory + "/tdx-v4-dcap-qvl/quote.bin", "--collateral", Vectors.directory + "/tdx-v4-dcap-qvl",
            "--at", "2025-07-01T00:00:00Z", "--appraisal-url", standIn.url, "--appraisal-token", "s3cret", "--appraisal-ca", ca,
        ])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("PASS remote-appraisal: \(standIn.url): status OK, tcbStatus UpToDate"), output)
    }

    /// Python's verifier (python/enclaveos_verify.py) reaches the same verdict with the same check
    /// names, in the same order, on every vector case.
    func testPythonVerifierAgreesOnEveryCase() throws {
        let script = PythonCrossCheckTests.repositoryRoot.appendingPathComponent("python/enclaveos_verify.py").path
        for item in try Vectors.cases() {
            let swift = try Vectors.verify(item, self)
            var arguments = [script, "--evidence", Vectors.directory + "/" + item.evidence, "--at", Timestamp.iso(item.time), "--json"]
            if case .directory(let dir) = try Vectors.collateral(item.collateral, self) { arguments += ["--collateral", dir] }
            let policy = try Fixtures.tempDirectory(self) + "/policy.json"
            try Fixtures.write(item.policyJSON, policy)
            arguments += ["--policy", policy]
            let (status, output) = try Self.run("/usr/bin/env", ["python3"] + arguments)
            XCTAssertEqual(status, swift.passed ? 0 : 1, "\(item.name): \(output)")
            let document = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
            let checks = (document?["checks"] as? [[String: Any]] ?? []).map { "\($0["name"] ?? "")=\($0["passed"] as? Bool ?? false)" }
            XCTAssertEqual(checks, swift.checks.map { "\($0.name)=\($0.passed)" }, item.name)
            XCTAssertEqual(document?["tcb_status"] as? String, swift.tcbStatus, item.name)
        }
    }
}
