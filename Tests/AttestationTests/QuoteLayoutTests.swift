import XCTest

@testable import Attestation

/// Quote layouts no published vector covers (SGX in quote v4 and v5): they parse at the
/// documented offsets, in the certificate path and in the full parser alike. Their signatures
/// are made up, so these tests say nothing about verification.
final class QuoteLayoutTests: XCTestCase {
    let reportData = (0 ..< 64).map { UInt8($0) }
    let mrenclave = [UInt8](repeating: 0xab, count: 32)

    func testSGXQuotesInEveryVersionParseAtTheDocumentedOffsets() throws {
        for version: UInt8 in [3, 4, 5] {
            let bytes = Fixtures.sgxQuote(reportData: reportData, mrenclave: mrenclave, version: version) + [0, 0, 0]
            let quote = try DCAPQuote(parsing: bytes)
            XCTAssertEqual(quote.version, Int(version))
            XCTAssertEqual(quote.body, .sgx)
            XCTAssertEqual(quote.reportData, reportData)
            XCTAssertEqual(quote.trailing, 3)
            XCTAssertEqual(quote.signedBytes.count, version == 5 ? 54 + 384 : 48 + 384)
            let parsed = try EvidenceParser.parse(format: .sgxQuote, bytes: bytes)
            XCTAssertEqual(parsed.reportData, reportData)
            XCTAssertEqual(parsed.measurements.first, Measurement(name: "MRENCLAVE", value: mrenclave))
            XCTAssertEqual(EvidenceVerifier.detectFormat(bytes), .sgxQuote)
        }
    }

    func testInconsistentHeadersAreNamed() {
        var tdxBody = Fixtures.sgxQuote(reportData: reportData, version: 5)
        tdxBody[48] = 2  // says TD 1.0 while the TEE type says SGX
        XCTAssertThrowsError(try DCAPQuote(parsing: tdxBody)) { XCTAssertTrue("\($0)".contains("body type"), "\($0)") }
        var keyType = Fixtures.sgxQuote(reportData: reportData)
        keyType[2] = 3
        XCTAssertThrowsError(try DCAPQuote(parsing: keyType)) { XCTAssertTrue("\($0)".contains("attestation key type 3"), "\($0)") }
        var tee = Fixtures.tdxQuote(reportData: reportData)
        tee[4] = 0x7f
        XCTAssertThrowsError(try DCAPQuote(parsing: tee)) { XCTAssertTrue("\($0)".contains("TEE type 0x7f"), "\($0)") }
    }
}
