import Dispatch
import XCTest
@testable import SealedStore

/// The quota meter's count after a commit that failed, with the backend played by closures so
/// the test decides when each commit reaches the "database" and when it returns.
final class StorageQuotaMeterTests: XCTestCase {
    private static func put(_ name: String, bytes: Int) -> StorageWrite {
        .put(name: Array(name.utf8), sealedName: [], value: [UInt8](repeating: 0, count: bytes))
    }

    private struct LostConnection: Error {}

    /// A failed commit (which did reach the database here) makes the meter measure again; that
    /// measurement waits for a batch still in flight, which committed before it but ends after
    /// it, so that batch is counted once, not twice.
    func testTheMeasurementAfterAFailedCommitWaitsForTheBatchesInFlight() throws {
        let meter = StorageQuotaMeter(appName: "app", maxBytes: 10_000, maxEntries: .max, report: nil)
        let database = SharedValue(StorageUsage(entries: 0, bytes: 0))
        let measurements = SharedValue(0)
        @Sendable func measure() -> StorageUsage {
            measurements.mutate { $0 += 1 }
            return database.value
        }
        @Sendable func store(_ bytes: Int) { database.mutate { $0.entries += 1; $0.bytes += bytes } }
        @Sendable func absent(_ name: [UInt8]) -> Int? { nil }
        try meter.apply([Self.put("first", bytes: 10)], size: absent, measure: measure) { store(10) }

        // X commits in the database, then its writer is held before the commit returns.
        let xCommitted = DispatchSemaphore(value: 0), releaseX = DispatchSemaphore(value: 0), xDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? meter.apply([Self.put("x", bytes: 100)], size: absent, measure: measure) {
                store(100)
                xCommitted.signal()
                releaseX.wait()
            }
            xDone.signal()
        }
        xCommitted.wait()
        // Y reaches the database, but its writer sees the connection fail: outcome unknown.
        XCTAssertThrowsError(try meter.apply([Self.put("y", bytes: 200)], size: absent, measure: measure) {
            store(200)
            throw LostConnection()
        })
        // Z needs the usage measured again; it must not measure while X is in flight.
        let zDone = DispatchSemaphore(value: 0), zFailure = SharedValue<String?>(nil)
        Thread.detachNewThread {
            do {
                try meter.apply([Self.put("z", bytes: 400)], size: absent, measure: measure) { store(400) }
            } catch {
                zFailure.mutate { $0 = "\(error)" }
            }
            zDone.signal()
        }
        Thread.sleep(forTimeInterval: 0.2)
        releaseX.signal()
        XCTAssertEqual(xDone.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(zDone.wait(timeout: .now() + 10), .success)
        XCTAssertNil(zFailure.value)
        XCTAssertEqual(meter.counted, database.value)
        XCTAssertEqual(database.value, StorageUsage(entries: 4, bytes: 710))
        XCTAssertEqual(measurements.value, 2, "measured at the first write and once after the failed commit")
    }

    /// A commit the backend refused also makes the meter measure again (it cannot tell a refusal
    /// from an unknown outcome), and the count stays exact.
    func testAFailedCommitThatAppliedNothingLeavesTheCountExact() throws {
        let meter = StorageQuotaMeter(appName: "app", maxBytes: 1000, maxEntries: .max, report: nil)
        let database = SharedValue(StorageUsage(entries: 0, bytes: 0))
        let measure = { database.value }
        let absent: ([UInt8]) -> Int? = { _ in nil }
        try meter.apply([Self.put("a", bytes: 600)], size: absent, measure: measure) {
            database.mutate { $0 = StorageUsage(entries: 1, bytes: 600) }
        }
        XCTAssertThrowsError(try meter.apply([Self.put("b", bytes: 300)], size: absent, measure: measure) { throw LostConnection() })
        XCTAssertNil(meter.counted, "the usage is unknown until measured again")
        XCTAssertThrowsError(try meter.apply([Self.put("c", bytes: 500)], size: absent, measure: measure) {}) { error in
            guard case SealedStoreError.quotaExceeded = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(meter.counted, StorageUsage(entries: 1, bytes: 600))
    }
}
