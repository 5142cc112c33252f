@testable import EnclaveServer
import Synchronization
import XCTest

/// The admission rules of the request budget, without sockets.
final class RequestMemoryBudgetUnitTests: XCTestCase {
    private final class Grants: Sendable {
        private let names = Mutex<[String]>([])
        func record(_ name: String) -> @Sendable () -> Void { { [self] in names.withLock { $0.append(name) } } }
        var all: [String] { names.withLock { $0 } }
    }

    private func queued(_ outcome: RequestMemoryBudget.Outcome, file: StaticString = #filePath, line: UInt = #line) -> RequestMemoryBudget.Ticket? {
        if case .queued(let ticket) = outcome { return ticket }
        XCTFail("expected to wait", file: file, line: line)
        return nil
    }

    func testWaitersAreAdmittedInOrderAsBytesAreReleased() {
        let grants = Grants()
        let big = RequestMemoryBudget(limit: 1_000_000)
        guard case .reserved = big.reserve(600_000, grant: grants.record("first")) else { return XCTFail() }
        _ = queued(big.reserve(600_000, grant: grants.record("second")))
        _ = queued(big.reserve(100_000, grant: grants.record("third")))  // fits, but waits its turn
        guard case .reserved = big.reserve(1000, grant: grants.record("small")) else { return XCTFail("a small frame waited") }
        XCTAssertEqual(big.usage.waiting, 2)
        big.release(600_000)
        XCTAssertEqual(grants.all, ["second", "third"])
        XCTAssertEqual(big.usage.used, 701_000)
    }

    func testCancellingTheHeadAdmitsThoseBehindIt() {
        let budget = RequestMemoryBudget(limit: 1_000_000)
        let grants = Grants()
        guard case .reserved = budget.reserve(900_000, grant: grants.record("holder")) else { return XCTFail() }
        guard let head = queued(budget.reserve(500_000, grant: grants.record("head"))) else { return }
        _ = queued(budget.reserve(100_000, grant: grants.record("behind")))
        XCTAssertTrue(budget.cancel(head))
        XCTAssertEqual(grants.all, ["behind"])
        XCTAssertFalse(budget.cancel(head), "a ticket leaves the queue once")
    }

    func testAFrameLargerThanTheBudgetIsAdmittedAlone() {
        let budget = RequestMemoryBudget(limit: 1_000_000)
        let grants = Grants()
        guard case .reserved = budget.reserve(2_000_000, grant: grants.record("huge")) else { return XCTFail("never admitted") }
        _ = queued(budget.reserve(100_000, grant: grants.record("next")))
        budget.release(2_000_000)
        XCTAssertEqual(grants.all, ["next"])
        XCTAssertEqual(budget.takeReleasedBytes(), 2_000_000)
        XCTAssertEqual(budget.takeReleasedBytes(), 0)
    }
}
