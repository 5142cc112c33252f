import EnclaveClient
import Foundation
import XCTest

@testable import Attestation

/// The RA-TLS verification every `enclave` command runs with `--verify` (``TLSVerification``)
/// applies the collateral, the evidence policy and the remote appraisal to a certificate that
/// carries real hardware evidence.
final class TLSVerificationTests: XCTestCase {
    func testVerifyAppliesCollateralPolicyAndAppraisal() throws {
        let time = try XCTUnwrap(Timestamp.parse("2025-07-01T00:00:00Z"))
        let der = try Vectors.certificateWithRealTDXQuote(at: time).certificateDER
        var policy = EvidencePolicy()
        policy.measurements = [Measurement(name: "MRTD", value: Array(repeating: 0, count: 48))]
        let expectations = VerificationExpectations(binding: .deterministic, now: time,
                                                    collateral: .directory(Vectors.directory + "/tdx-v4-dcap-qvl"), evidencePolicy: policy)
        let standIn = try RemoteAppraisalTests.StandIn.start(self)
        let appraiser = RemoteAppraiser(url: standIn.url, token: "s3cret", trustRootsPEM: standIn.caPEM)
        XCTAssertThrowsError(try TLSVerification.attestedAndAppraised(expectations, appraiser).check(peerCertificateDER: der)) { error in
            guard case .failed(let report)? = error as? AttestationRefused else { return XCTFail("\(error)") }
            XCTAssertEqual(report.failures.map(\.name), ["report-data.binding", "measurement.MRTD"], report.description)
            XCTAssertEqual(report.check(named: "tcb.status")?.passed, true)
            XCTAssertEqual(report.check(named: "remote-appraisal")?.passed, true, report.description)
        }
        XCTAssertEqual(try standIn.requests().count, 1, "the appraisal ran on the certificate's evidence")

        var noCollateral = expectations
        noCollateral.collateral = .none
        XCTAssertThrowsError(try TLSVerification.attested(noCollateral).check(peerCertificateDER: der)) { error in
            guard case .failed(let report)? = error as? AttestationRefused else { return XCTFail("\(error)") }
            XCTAssertTrue(report.failures.map(\.name).contains("collateral.present"), report.description)
        }
    }

    func testVerificationTimeOfARealQuote() throws {
        let quote = try Vectors.read("tdx-v4-dcap-qvl/quote.bin")
        let verifier = EvidenceVerifier(collateral: .directory(Vectors.directory + "/tdx-v4-dcap-qvl"),
                                        time: try XCTUnwrap(Timestamp.parse("2025-07-01T00:00:00Z")))
        XCTAssertTrue(verifier.verify(evidence: quote).passed)
        let rounds = 20
        let start = Date()
        for _ in 0 ..< rounds { _ = verifier.verify(evidence: quote) }
        let each = Date().timeIntervalSince(start) / Double(rounds)
        // Reported, not asserted: performance is measured in release builds, not in unit tests.
        print("TDX quote with collateral files, full verification: \(Int(each * 1000)) ms (this build)")
    }
}
