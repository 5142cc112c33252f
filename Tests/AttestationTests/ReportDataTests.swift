import Foundation
import XCTest

@testable import Attestation

/// Expected values below were computed independently with Python's hashlib.
final class ReportDataTests: XCTestCase {
    func testReportDataMatchesIndependentVector() {
        let spki = (0 ..< 91).map { UInt8($0) }
        let rd = ReportData(subjectPublicKeyInfoDER: spki, binding: .notBefore(Date(timeIntervalSince1970: 1_735_787_059)))
        XCTAssertEqual(Hex.encode(rd.bytes), "b9a4a25b46e706c418663e9c4687a2ae7d48a82ceac35197e0bee489e219036f957dff9d02ce5cac2e4eb68e12677c043a6441cdf2ad21b780892573d7590192")
        XCTAssertEqual(rd.bytes.count, 64)
        let viaNonce = ReportData(subjectPublicKeyInfoDER: spki, binding: .nonce(Array("2025-01-02T03:04Z".utf8)))
        XCTAssertEqual(viaNonce, rd, "binding bytes are hashed as given")
    }

    func testMinuteTimestampTruncatesAndHandlesCalendarEdges() {
        let cases: [(TimeInterval, String)] = [
            (0, "1970-01-01T00:00Z"),
            (951_868_799, "2000-02-29T23:59Z"),
            (1_709_211_599, "2024-02-29T12:59Z"),
            (4_102_444_799, "2099-12-31T23:59Z"),
            (1_735_787_059.9, "2025-01-02T03:04Z"),
        ]
        for (seconds, text) in cases {
            XCTAssertEqual(ReportData.minuteTimestamp(Date(timeIntervalSince1970: seconds)), text, "\(seconds)")
        }
        XCTAssertEqual(ReportData.truncatedToMinute(Date(timeIntervalSince1970: 1_735_787_059.9)).timeIntervalSince1970, 1_735_787_040)
    }

    func testNonceLengthIsBounded() {
        XCTAssertThrowsError(try ReportData.validateNonce([])) { XCTAssertEqual($0 as? AttestationError, .invalidNonceLength(0)) }
        XCTAssertThrowsError(try ReportData.validateNonce(Array(repeating: 1, count: 65)))
        XCTAssertNoThrow(try ReportData.validateNonce(Array(repeating: 1, count: 32)))
    }

    func testAppsHashSortsByUTF8BytesAndUsesRawHashes() throws {
        let apps = [
            AttestedApp(name: "zeta", codeHash: Fixtures.hash(1)),
            AttestedApp(name: "alpha", codeHash: Fixtures.hash(2)),
            AttestedApp(name: "Beta", codeHash: Fixtures.hash(3)),
        ]
        XCTAssertEqual(Hex.encode(try AppsHash.compute(apps)), "afe486e843f1edbb3271169553879dd0d80a3efca0a31fbb479cbee83efb89bb")
        XCTAssertEqual(try AppsHash.compute(apps.reversed()), try AppsHash.compute(apps))
        XCTAssertEqual(Hex.encode(try AppsHash.compute([])), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertThrowsError(try AppsHash.compute([AttestedApp(name: "a", codeHash: [1, 2])]))
        XCTAssertThrowsError(try AppsHash.compute([AttestedApp(name: "a", codeHash: Fixtures.hash(1)), AttestedApp(name: "a", codeHash: Fixtures.hash(2))])) {
            XCTAssertEqual($0 as? AttestationError, .duplicateAppName("a"))
        }
    }

    func testConfigRootsMatchIndependentVectors() {
        let server = ConfigRoot.server(egressCABundleHash: Fixtures.hash(0xaa), appsHash: Fixtures.hash(0xbb))
        XCTAssertEqual(Hex.encode(server.digest), "9c01d910c232e1ec953887637eae75f9b33a8b6bd4df309473f64901adf07560")
        let app = ConfigRoot.app(hostname: "app.example", codeHash: Fixtures.hash(0xcc), keySource: "generated", egressCABundleHash: Fixtures.hash(0xaa))
        XCTAssertEqual(Hex.encode(app.digest), "491eeb3eda9698c457715fd095ad6454979d533a294ea8d1c95ab52fa1378447")
        let swapped = ConfigRoot.server(egressCABundleHash: Fixtures.hash(0xbb), appsHash: Fixtures.hash(0xaa))
        XCTAssertNotEqual(swapped.digest, server.digest, "leaf order matters")
    }

    func testHexRoundTripAndRejectsGarbage() {
        XCTAssertEqual(Hex.decode("00ffAB"), [0, 255, 0xab])
        XCTAssertEqual(Hex.encode([0, 255, 0xab]), "00ffab")
        XCTAssertNil(Hex.decode("abc"))
        XCTAssertNil(Hex.decode("zz"))
    }

    func testOIDParsing() throws {
        XCTAssertEqual(try AttestationOID.parse("1.3.6.1.4.1.65230.3.2"), AttestationOID.appCodeHash)
        XCTAssertEqual(AttestationOID.appCodeHash.description, "1.3.6.1.4.1.65230.3.2")
        XCTAssertThrowsError(try AttestationOID.parse("not.an.oid"))
        let ext = try VerificationExpectations.ExtensionValue(parsing: "1.3.6.1.4.1.65230.3.4=67656e")
        XCTAssertEqual(ext.value, Array("gen".utf8))
        XCTAssertThrowsError(try VerificationExpectations.ExtensionValue(parsing: "1.3.6.1.4.1.65230.3.4"))
    }
}
