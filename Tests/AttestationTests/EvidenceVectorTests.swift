import Crypto
import Foundation
import XCTest

@testable import Attestation

/// Real SGX/TDX quotes and SEV-SNP reports, published by other projects, verified to the vendor
/// roots at their time: expected statuses and values come from those projects (expected.json).
final class EvidenceVectorTests: XCTestCase {
    func testEveryCaseFailsExactlyTheNamedChecks() throws {
        let cases = try Vectors.cases()
        XCTAssertGreaterThanOrEqual(cases.count, 25)
        for item in cases {
            let report = try Vectors.verify(item, self)
            XCTAssertEqual(report.failures.map(\.name), item.failures, "\(item.name)\n\(report)")
            XCTAssertEqual(report.passed, item.failures.isEmpty, item.name)
            if let reason = item.reason {
                XCTAssertTrue(report.failures.first?.detail.contains(reason) ?? false, "\(item.name): \(report)")
            }
            if let status = item.tcbStatus { XCTAssertEqual(report.tcbStatus, status, item.name) }
            if let advisories = item.advisoryIDs { XCTAssertEqual(report.advisoryIDs, advisories, item.name) }
            if let qe = item.qeStatus {
                XCTAssertTrue(report.check(named: "qe.identity")?.detail.contains(": \(qe)") ?? false, item.name)
            }
            for (name, value) in item.values {
                XCTAssertEqual(report.measurements.first { $0.name == name }.map { Hex.encode($0.value) }, value, "\(item.name) \(name)")
            }
        }
    }

    func testEveryPositiveVectorFailsAfterItsCollateralExpires() throws {
        for item in try Vectors.cases() where item.failures.isEmpty && item.collateral != nil {
            let report = try Vectors.verify(item, at: item.time.addingTimeInterval(3000 * 86400), self)
            let current = report.check(named: "collateral.current")
            XCTAssertEqual(current?.passed, false, "\(item.name)\n\(report)")
            XCTAssertTrue(current?.detail.contains("collateral expired") ?? false, item.name)
        }
    }

    func testVCEKChainsOfEachProductLine() throws {
        for chain in try Vectors.chains() {
            let askArk = try chain.askArk.map(Vectors.read)
            let result = AMDChain.verify(vcek: try Vectors.read(chain.vcek), askArkPEM: askArk)
            XCTAssertEqual(result.problem == nil, chain.valid, "\(chain.name): \(result.problem ?? "valid")")
            XCTAssertEqual(result.product?.rawValue, chain.product, chain.name)
        }
    }

    func testPinnedRootsAreTheDocumentedCertificates() throws {
        let roots: [String: [UInt8]] = [
            "intelSGXRootCA": VendorRoots.intelSGXRootCA,
            "amdMilanARK": VendorRoots.amdMilanARK, "amdMilanASK": VendorRoots.amdMilanASK,
            "amdGenoaARK": VendorRoots.amdGenoaARK, "amdGenoaASK": VendorRoots.amdGenoaASK,
            "amdTurinARK": VendorRoots.amdTurinARK, "amdTurinASK": VendorRoots.amdTurinASK,
        ]
        XCTAssertEqual(Set(roots.keys), Set(VendorRoots.fingerprints.keys))
        for (name, der) in roots {
            XCTAssertEqual(Hex.encode(SHA256.hash(data: der)), VendorRoots.fingerprints[name], name)
        }
        XCTAssertEqual(VendorRoots.intelSGXRootCA, try Vectors.read("roots/intel-sgx-root-ca.der"))
    }

    func testTruncatedAndMutatedEvidenceIsAFailedCheckNeverACrash() throws {
        let quote = try Vectors.read("tdx-v4-dcap-qvl/quote.bin")
        let report = try Vectors.read("snp-milan-v2-go-sev-guest/report.bin")
        let verifier = EvidenceVerifier(collateral: .none, time: Date())
        for evidence in [quote, report] {
            for cut in stride(from: 0, to: evidence.count, by: 13) {
                XCTAssertFalse(verifier.verify(evidence: Array(evidence[0 ..< cut])).passed, "cut at \(cut)")
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0 ..< 300 {
            var mutated = quote
            for _ in 0 ..< 4 { mutated[Int.random(in: 0 ..< 700, using: &generator)] = UInt8.random(in: 0 ... 255, using: &generator) }
            _ = verifier.verify(evidence: mutated)
        }
        var huge = quote
        huge.replaceSubrange(632 ..< 636, with: [0xF0, 0xFF, 0xFF, 0xFF])  // signature data length far past the end
        let refused = verifier.verify(evidence: huge)
        XCTAssertEqual(refused.failures.first?.name, "quote.structure")
        XCTAssertTrue(refused.failures.first?.detail.contains("runs past the end") ?? false, refused.description)
    }

    func testPolicyFileFormat() throws {
        let policy = try EvidencePolicy(json: Array(#"{"accepted_tcb_statuses":["UpToDate"],"allow_debug":true,"measurements":{"MRTD":"00ff"},"report_data":"01"}"#.utf8))
        XCTAssertEqual(policy, EvidencePolicy(acceptedTCBStatuses: ["UpToDate"], allowDebug: true, measurements: [Measurement(name: "MRTD", value: [0, 255])], reportData: [1]))
        for (text, needle) in [
            (#"{"allow_debugging":true}"#, "unknown field"), (#"{"accepted_tcb_statuses":["Revoked"]}"#, "Revoked"),
            (#"{"accepted_tcb_statuses":["Fine"]}"#, "accepted_tcb_statuses"), (#"{"measurements":{"MRTD":"xyz"}}"#, "measurements.MRTD"),
            (#"{"allow_debug":1}"#, "allow_debug"), ("[]", "JSON object"),
        ] {
            XCTAssertThrowsError(try EvidencePolicy(json: Array(text.utf8)), text) { error in
                XCTAssertTrue("\(error)".contains(needle), "\(text): \(error)")
            }
        }
    }
}
