import Foundation
import XCTest

@testable import Attestation

/// Runs the real Gramine and configfs-tsm code against directories of plain files.
/// Plain files cannot react to writes, so fixtures pre-create the quote/outblob
/// (with the report data the test will write) and the tests check what was written.
final class ProviderTests: XCTestCase {
    let reportData = (0 ..< 64).map { UInt8($0 ^ 0x5a) }

    func testSimulatedEvidenceIsMockQuoteUnderSGXOID() throws {
        let evidence = try SimulatedProvider().evidence(reportData: reportData)
        XCTAssertEqual(evidence.bytes, Array("MOCK_QUOTE:".utf8) + reportData)
        XCTAssertEqual(evidence.oid, AttestationOID.sgxQuote)
        XCTAssertEqual(evidence.format, .simulated)
        XCTAssertFalse(SimulatedProvider().isHardware)
        XCTAssertThrowsError(try SimulatedProvider().evidence(reportData: [1, 2, 3])) {
            XCTAssertEqual($0 as? AttestationError, .invalidReportDataLength(3))
        }
    }

    func testGramineWritesReportDataAndReturnsQuote() throws {
        let root = try Fixtures.tempDirectory(self)
        let quote = Fixtures.sgxQuote(reportData: reportData)
        try Fixtures.write([], root + "/user_report_data")
        try Fixtures.write(quote, root + "/quote")
        let provider = GramineSGXProvider(root: root)
        let evidence = try provider.evidence(reportData: reportData)
        XCTAssertEqual(evidence, Evidence(format: .sgxQuote, bytes: quote))
        XCTAssertEqual(try Fixtures.read(root + "/user_report_data"), reportData)
        XCTAssertTrue(provider.isHardware)
        XCTAssertEqual(provider.kind, .gramineSGX)
    }

    func testGramineRejectsQuoteBoundToOtherReportData() throws {
        let root = try Fixtures.tempDirectory(self)
        try Fixtures.write([], root + "/user_report_data")
        try Fixtures.write(Fixtures.sgxQuote(reportData: Array(repeating: 0, count: 64)), root + "/quote")
        XCTAssertThrowsError(try GramineSGXProvider(root: root).evidence(reportData: reportData)) { error in
            guard case .invalidDeviceOutput(let path, let reason)? = error as? AttestationError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, root + "/quote")
            XCTAssertTrue(reason.contains("report data"), reason)
        }
    }

    func testGramineEmptyQuoteNamesAttestationType() throws {
        let root = try Fixtures.tempDirectory(self)
        try Fixtures.write([], root + "/user_report_data")
        try Fixtures.write([], root + "/quote")
        try Fixtures.write(Array("none\n".utf8), root + "/attestation_type")
        XCTAssertThrowsError(try GramineSGXProvider(root: root).evidence(reportData: reportData)) { error in
            XCTAssertTrue("\(error)".contains("attestation_type 'none'"), "\(error)")
        }
    }

    func testGramineMissingDeviceIsAnActionableError() {
        XCTAssertThrowsError(try GramineSGXProvider(root: "/nonexistent-attest").evidence(reportData: reportData)) { error in
            XCTAssertEqual(error as? AttestationError, .deviceIO(path: "/nonexistent-attest/user_report_data", reason: "cannot open for writing"))
            XCTAssertTrue("\(error)".contains("inside the TEE"))
        }
    }

    func testGramineSealingKey() throws {
        let root = try Fixtures.tempDirectory(self)
        try FileManager.default.createDirectory(atPath: root + "/keys", withIntermediateDirectories: true)
        let key = (0 ..< 16).map { UInt8($0 + 100) }
        try Fixtures.write(key, root + "/keys/_sgx_mrenclave")
        XCTAssertEqual(try GramineSGXProvider(root: root).sealingKey(), key)
        try Fixtures.write(key + key, root + "/keys/_sgx_mrenclave")
        XCTAssertThrowsError(try GramineSGXProvider(root: root).sealingKey())
    }

    func testTSMTDXWritesInblobAndReturnsQuote() throws {
        let quote = Fixtures.tdxQuote(reportData: reportData)
        let root = try Fixtures.tsmEntry(self, provider: "tdx_guest", outblob: quote)
        let evidence = try TSMProvider(root: root, entryName: "e1").evidence(reportData: reportData)
        XCTAssertEqual(evidence, Evidence(format: .tdxQuote, bytes: quote))
        XCTAssertEqual(evidence.oid, AttestationOID.tdxQuote)
        XCTAssertEqual(try Fixtures.read(root + "/e1/inblob"), reportData)
    }

    func testTSMSNPUsesEnclaveOSOID() throws {
        let report = Fixtures.snpReport(reportData: reportData)
        let root = try Fixtures.tsmEntry(self, provider: "sev_guest", outblob: report)
        let evidence = try TSMProvider(root: root, entryName: "e1").evidence(reportData: reportData)
        XCTAssertEqual(evidence.format, .sevSnpReport)
        XCTAssertEqual(evidence.oid.description, "1.3.6.1.4.1.65230.4.1")
    }

    func testTSMUnknownProviderAndGenerationRace() throws {
        let quote = Fixtures.tdxQuote(reportData: reportData)
        let unknown = try Fixtures.tsmEntry(self, provider: "arm_cca_guest", outblob: quote)
        XCTAssertThrowsError(try TSMProvider(root: unknown, entryName: "e1").evidence(reportData: reportData)) {
            XCTAssertEqual($0 as? AttestationError, .unknownTSMProvider("arm_cca_guest"))
        }
        // A static generation file looks like "nobody incremented it" — exactly what
        // a concurrent writer resetting or racing us would look like to the check.
        let raced = try Fixtures.tsmEntry(self, provider: "tdx_guest", outblob: quote, generation: "7")
        XCTAssertThrowsError(try TSMProvider(root: raced, entryName: "e1").evidence(reportData: reportData)) {
            XCTAssertEqual($0 as? AttestationError, .tsmGenerationMismatch(expected: 8, found: 7))
        }
    }

    func testTSMCreatesAFreshEntryByDefault() throws {
        let root = try Fixtures.tempDirectory(self)
        // No entry exists, so the provider creates one; a plain directory has no
        // attribute files, so the write fails — naming the fresh entry's inblob.
        XCTAssertThrowsError(try TSMProvider(root: root).evidence(reportData: reportData)) { error in
            guard case .deviceIO(let path, _)? = error as? AttestationError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasPrefix(root + "/enclaveos-") && path.hasSuffix("/inblob"), path)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), [], "the empty entry is removed again")
    }

    func testDetectionPrefersGramineThenTSMThenSimulated() throws {
        let gramine = try Fixtures.tempDirectory(self)
        let tsm = try Fixtures.tempDirectory(self)
        try Fixtures.write([], gramine + "/quote")
        try Fixtures.write(Array("dcap".utf8), gramine + "/attestation_type")

        let first = ProviderDetection.detect(gramineRoot: gramine, tsmRoot: tsm)
        XCTAssertEqual(first.provider.kind, .gramineSGX)
        XCTAssertTrue(first.reason.contains("dcap"), first.reason)

        let second = ProviderDetection.detect(gramineRoot: "/nonexistent-g", tsmRoot: tsm)
        XCTAssertEqual(second.provider.kind, .tsm)

        let third = ProviderDetection.detect(gramineRoot: "/nonexistent-g", tsmRoot: "/nonexistent-t")
        XCTAssertEqual(third.provider.kind, .simulated)
        XCTAssertFalse(third.provider.isHardware)
        XCTAssertTrue(third.reason.contains("SIMULATED"), third.reason)

        XCTAssertEqual(try ProviderDetection.provider(named: "gramine-sgx").kind, .gramineSGX)
        XCTAssertThrowsError(try ProviderDetection.provider(named: "sgx")) {
            XCTAssertTrue("\($0)".contains("simulated, gramine-sgx, tsm"))
        }
    }

    func testEvidenceParserOffsets() throws {
        let v5 = try EvidenceParser.parse(format: .tdxQuote, bytes: Fixtures.tdxQuote(reportData: reportData, version: 5))
        XCTAssertEqual(v5.reportData, reportData)
        XCTAssertEqual(v5.measurements.first, Measurement(name: "MRTD", value: Array(repeating: 0x7d, count: 48)))
        let sgx = try EvidenceParser.parse(format: .sgxQuote, bytes: Fixtures.sgxQuote(reportData: reportData))
        XCTAssertEqual(sgx.measurements.first?.name, "MRENCLAVE")
        XCTAssertEqual(sgx.reportData, reportData)
        XCTAssertThrowsError(try EvidenceParser.parse(format: .sevSnpReport, bytes: [1, 2, 3]))
        var notTDX = Fixtures.tdxQuote(reportData: reportData)
        notTDX[4] = 0
        XCTAssertThrowsError(try EvidenceParser.parse(format: .tdxQuote, bytes: notTDX))
        XCTAssertEqual(EvidenceParser.format(oid: AttestationOID.sgxQuote, bytes: Array("MOCK_QUOTE:".utf8)), .simulated)
        XCTAssertEqual(EvidenceParser.format(oid: AttestationOID.sgxQuote, bytes: [3, 0]), .sgxQuote)
    }
}
