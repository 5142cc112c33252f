import Foundation
import NIOCore
import NIOPosix
import Synchronization
import XCTest
@testable import SealedStore

/// The PostgreSQL store's waits on the calling thread: the observer hears of each (the server
/// uses it to keep such calls off its event loops), and a call from an event loop that is not
/// the database connection's own completes instead of failing.
final class PostgresDatabaseWaitTests: XCTestCase {
    override func tearDown() {
        DatabaseWait.setObserver(nil)
    }

    func testTheObserverHearsOfEveryWaitForTheDatabase() throws {
        let backend = try postgresBackend()
        defer { backend.close() }
        let kv = try SealedKV(appName: "wait-\(UUID().uuidString.prefix(8))", appKey: AppKey.generate(), backend: backend)
        let waits = Atomic<Int>(0)
        DatabaseWait.setObserver { waits.add(1, ordering: .relaxed) }
        try kv.put("fs:/observed", Array("value".utf8))
        let afterWrite = waits.load(ordering: .relaxed)
        XCTAssertGreaterThan(afterWrite, 0, "a durable write waited for the database without telling the observer")
        XCTAssertEqual(try kv.get("fs:/observed"), Array("value".utf8))
        XCTAssertGreaterThan(waits.load(ordering: .relaxed), afterWrite, "a read waited for the database without telling the observer")
    }

    /// A server's event loop (another group than the store's) may wait: the call blocks that
    /// loop for a round trip and gets its answer. (It used to be refused as "a bug", so a call
    /// run inline failed.)
    func testAReadFromAnotherEventLoopIsAnswered() throws {
        let backend = try postgresBackend()
        defer { backend.close() }
        let kv = try SealedKV(appName: "loop-\(UUID().uuidString.prefix(8))", appKey: AppKey.generate(), backend: backend)
        try kv.put("fs:/from-a-loop", Array("answered".utf8))
        let serverLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? serverLoops.syncShutdownGracefully() }
        let read = try serverLoops.next().submit { try kv.get("fs:/from-a-loop") }.wait()
        XCTAssertEqual(read, Array("answered".utf8))
    }
}
