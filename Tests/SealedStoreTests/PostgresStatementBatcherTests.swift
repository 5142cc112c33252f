import Foundation
import Synchronization
import XCTest
@testable import SealedStore

/// The batching shared by PostgreSQL commits and reads, without a database: every caller gets
/// its own job's answer, batches keep to their cap, and concurrent callers share batches.
final class PostgresStatementBatcherTests: XCTestCase {
    func testEveryCallerGetsItsOwnAnswerAndBatchesKeepToTheirCap() {
        let sizes = Mutex<[Int]>([])
        let batcher = PostgresStatementBatcher<Int, Int>(maxJobs: 3) { jobs in
            sizes.withLock { $0.append(jobs.count) }
            Thread.sleep(forTimeInterval: 0.002)  // a round trip, so that callers queue meanwhile
            return jobs.map { job in job % 7 == 0 ? .failure(SealedStoreError.invalidInput("job \(job)")) : .success(job * 10) }
        }
        let wrong = Mutex<[String]>([])
        let done = DispatchGroup()
        for caller in 0..<8 {
            done.enter()
            Thread {
                defer { done.leave() }
                for round in 0..<25 {
                    let job = caller * 100 + round
                    do {
                        let answer = try batcher.submit(job)
                        if job % 7 == 0 || answer != job * 10 { wrong.withLock { $0.append("job \(job) answered \(answer)") } }
                    } catch {
                        if job % 7 != 0 { wrong.withLock { $0.append("job \(job) failed: \(error)") } }
                    }
                }
            }.start()
        }
        done.wait()
        XCTAssertEqual(wrong.withLock { $0 }, [])
        let all = sizes.withLock { $0 }
        XCTAssertEqual(all.reduce(0, +), 200)
        XCTAssertLessThanOrEqual(all.max() ?? 0, 3, "a batch exceeded its cap")
        XCTAssertLessThan(all.count, 200, "no caller shared a batch")
        XCTAssertEqual(batcher.statistics.batches, all.count)
        XCTAssertEqual(batcher.statistics.jobs, 200)
    }
}
