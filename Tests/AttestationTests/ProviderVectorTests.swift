import Foundation
import XCTest

@testable import Attestation

/// The Gramine and configfs-tsm providers, fed real quotes and reports (as their device files
/// would hold them), put into certificates exactly the bytes the evidence verifier takes: the
/// quote or report proper, padding dropped, verifying to the vendor root.
final class ProviderVectorTests: XCTestCase {
    func testGramineReturnsTheRealSGXQuoteTheVerifierAccepts() throws {
        let quote = try Vectors.read("sgx-v3-dcap-qvl/quote.bin")
        let root = try Fixtures.tempDirectory(self)
        try Fixtures.write([], root + "/user_report_data")
        try Fixtures.write(quote + [UInt8](repeating: 0, count: 32), root + "/quote")  // padded, as some QEs answer
        let reportData = try DCAPQuote(parsing: quote).reportData
        let evidence = try GramineSGXProvider(root: root).evidence(reportData: reportData)
        XCTAssertEqual(evidence.bytes, quote, "the padding is dropped, the quote proper kept")
        let verified = try verify(evidence.bytes, "sgx-v3-dcap-qvl", "2025-07-01T00:00:00Z", accept: "ConfigurationAndSWHardeningNeeded")
        XCTAssertTrue(verified.passed, verified.description)
        XCTAssertEqual(try Fixtures.read(root + "/user_report_data"), reportData)
    }

    func testTSMReturnsTheRealTDXQuoteWithoutItsPadding() throws {
        let padded = try Vectors.read("tdx-v4-dcap-qvl/quote.bin")  // 70 zero bytes after the quote
        let quote = try DCAPQuote(parsing: padded)
        let root = try Fixtures.tsmEntry(self, provider: "tdx_guest", outblob: padded)
        let evidence = try TSMProvider(root: root, entryName: "e1").evidence(reportData: quote.reportData)
        XCTAssertEqual(evidence.bytes, Array(padded[0 ..< 4936]))
        XCTAssertEqual(evidence.format, .tdxQuote)
        let verified = try verify(evidence.bytes, "tdx-v4-dcap-qvl", "2025-07-01T00:00:00Z")
        XCTAssertTrue(verified.passed, verified.description)
        XCTAssertEqual(verified.tcbStatus, "UpToDate")
    }

    func testTSMReturnsTheRealSNPReport() throws {
        let report = try Vectors.read("snp-milan-v2-go-sev-guest/report.bin")
        let root = try Fixtures.tsmEntry(self, provider: "sev_guest", outblob: report)
        let evidence = try TSMProvider(root: root, entryName: "e1").evidence(reportData: Array(report[0x50 ..< 0x90]))
        XCTAssertEqual(evidence.bytes, report)
        var policy = EvidencePolicy()
        policy.allowDebug = true
        let verified = EvidenceVerifier(collateral: .directory(Vectors.directory + "/snp-milan-v2-go-sev-guest"),
                                        time: try XCTUnwrap(Timestamp.parse("2022-09-24T01:00:00Z")), policy: policy).verify(evidence: evidence.bytes)
        XCTAssertTrue(verified.passed, verified.description)
    }

    func testProvidersRefuseWhatTheVerifierCannotParse() throws {
        let quote = try Vectors.read("tdx-v4-dcap-qvl/quote.bin")
        let reportData = try DCAPQuote(parsing: quote).reportData
        let truncated = try Fixtures.tsmEntry(self, provider: "tdx_guest", outblob: Array(quote[0 ..< 1000]))
        XCTAssertThrowsError(try TSMProvider(root: truncated, entryName: "e1").evidence(reportData: reportData)) { error in
            XCTAssertTrue("\(error)".contains("runs past the end"), "\(error)")
        }
        let sgxAsTDX = try Fixtures.tsmEntry(self, provider: "tdx_guest", outblob: try Vectors.read("sgx-v3-dcap-qvl/quote.bin"))
        XCTAssertThrowsError(try TSMProvider(root: sgxAsTDX, entryName: "e1").evidence(reportData: reportData))
    }

    /// The certificate path: a certificate carrying the real quote is checked with the same
    /// hardware checks (its binding fails: the quote was not made for this certificate's key).
    func testACertificateCarryingARealQuoteGetsTheSameHardwareChecks() throws {
        let time = try XCTUnwrap(Timestamp.parse("2025-07-01T00:00:00Z"))
        let built = try Vectors.certificateWithRealTDXQuote(at: time)
        let quote = built.quote
        let expectations = VerificationExpectations(binding: .deterministic, now: time, collateral: .directory(Vectors.directory + "/tdx-v4-dcap-qvl"))
        let report = AttestationVerifier(expectations: expectations).verify(certificateDER: built.certificateDER)
        XCTAssertEqual(report.failures.map(\.name), ["report-data.binding"], report.description)
        XCTAssertEqual(report.check(named: "tcb.status")?.passed, true)
        XCTAssertEqual(AttestationVerifier.hardwareEvidence(certificateDER: built.certificateDER), quote)
    }

    private func verify(_ bytes: [UInt8], _ folder: String, _ time: String, accept status: String? = nil) throws -> VerificationReport {
        var policy = EvidencePolicy()
        if let status { policy.acceptedTCBStatuses.append(status) }
        return EvidenceVerifier(collateral: .directory(Vectors.directory + "/" + folder), time: try XCTUnwrap(Timestamp.parse(time)), policy: policy)
            .verify(evidence: bytes)
    }
}
