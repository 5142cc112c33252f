@testable import EnclaveServer
import Foundation
import XCTest

/// The in-flight record on its own: what a new process reads back after the previous one left
/// slots occupied, after a clean stop, and from a file it did not write.
final class InFlightLedgerTests: XCTestCase {
    func testOccupiedSlotsAreReadBackOnceAndACleanStopLeavesNone() throws {
        let data = try TestDataDirectory()
        let crashed = InFlightLedger.Mark(appName: "crashed", codeHash: "aa")
        let finished = InFlightLedger.Mark(appName: "finished", codeHash: "bb")
        do {
            let (ledger, leftovers) = try InFlightLedger.open(directory: data.path)
            XCTAssertTrue(leftovers.isEmpty)
            ledger.running(finished) {}
            // A process that dies inside `running` never clears its slot; model that by reading
            // the file from a second ledger while the first is still inside.
            try ledger.running(crashed) {
                let (_, seen) = try InFlightLedger.open(directory: data.path)
                XCTAssertEqual(seen, [crashed], "only the app still running is left behind")
            }
        }
        // The second open cleared the record; a clean stop clears it too.
        let (ledger, leftovers) = try InFlightLedger.open(directory: data.path)
        XCTAssertTrue(leftovers.isEmpty)
        try ledger.running(crashed) {
            ledger.close()
            let (_, seen) = try InFlightLedger.open(directory: data.path)
            XCTAssertTrue(seen.isEmpty, "after close() nothing is left to quarantine")
        }
    }

    func testAFileOfAnotherShapeYieldsNoMarks() throws {
        let data = try TestDataDirectory()
        let path = (data.path as NSString).appendingPathComponent(InFlightLedger.fileName)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(repeating: 0xFF, count: 100)))
        let (_, leftovers) = try InFlightLedger.open(directory: data.path)
        XCTAssertTrue(leftovers.isEmpty)
        let wrongHeader = Data(repeating: 0xFF, count: 8 + InFlightLedger.slotCount * InFlightLedger.slotBytes)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: wrongHeader))
        XCTAssertTrue(try InFlightLedger.open(directory: data.path).leftovers.isEmpty)
    }

    func testASymlinkIsRefused() throws {
        let data = try TestDataDirectory()
        let path = (data.path as NSString).appendingPathComponent(InFlightLedger.fileName)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/etc/passwd")
        XCTAssertThrowsError(try InFlightLedger.open(directory: data.path)) { error in
            XCTAssertTrue("\(error)".contains("in-flight record"), "\(error)")
        }
    }
}
