import Foundation
import Synchronization
import XCTest
@testable import EnclaveServer

/// The registry's state-change listener (a cluster node's announcer) is called as it was
/// registered however often an app's state changes: reading it from its lock must not wrap it
/// in another layer each time (each announcement then ran deeper and slower, without bound).
final class AppRegistryStateChangeTests: XCTestCase {
    func testTheListenerRunsAtTheSameStackDepthAtEveryAnnouncement() {
        let registry = AppRegistry()
        let depths = Mutex<[Int]>([])
        registry.onStateChange { _ in depths.withLock { $0.append(Thread.callStackReturnAddresses.count) } }
        for _ in 0..<50 { registry.announceStateChange(of: "app") }
        let seen = depths.withLock { $0 }
        XCTAssertEqual(seen.count, 50)
        XCTAssertEqual(Set(seen).count, 1, "the listener ran deeper at each announcement: \(seen.prefix(5)) … \(seen.suffix(2))")
    }
}
