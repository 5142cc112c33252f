import Foundation
import Synchronization
import XCTest
@testable import SealedStore

/// The observer is called as it was installed, however often the store waits: reading it from
/// its lock must not wrap it in another layer each time (the call then got deeper and slower
/// with every wait, without bound).
final class DatabaseWaitObserverTests: XCTestCase {
    override func tearDown() {
        DatabaseWait.setObserver(nil)
    }

    func testTheObserverRunsAtTheSameStackDepthAtEveryWait() {
        let depths = Mutex<[Int]>([])
        DatabaseWait.setObserver { depths.withLock { $0.append(Thread.callStackReturnAddresses.count) } }
        for _ in 0..<50 { DatabaseWait.willWait() }
        let seen = depths.withLock { $0 }
        XCTAssertEqual(seen.count, 50)
        XCTAssertEqual(Set(seen).count, 1, "the observer ran deeper at each wait: \(seen.prefix(5)) … \(seen.suffix(2))")
    }
}
