import XCTest
@testable import EnclaveServer

/// The call scheduler's bookkeeping without threads: who gets a free slot.
final class FairCallQueueTests: XCTestCase {
    private func queue(slots: Int, perApp: Int? = nil, maxBlocked: Int = 4, maxBlockedPerApp: Int = 2) -> FairCallQueue<String> {
        FairCallQueue(limits: CallSchedulingLimits(slots: slots, slotsPerApp: perApp, maxBlocked: maxBlocked,
                                                   maxBlockedPerApp: maxBlockedPerApp))
    }

    func testOneAppsBacklogNeverHoldsMoreThanItsShare() {
        var queue = queue(slots: 4, perApp: 2)
        for index in 0..<64 { queue.enqueue("hog-\(index)", app: "hog") }
        XCTAssertEqual(queue.grant(), ["hog-0", "hog-1"], "two slots stay free for other apps")
        queue.enqueue("hello-0", app: "hello")
        queue.enqueue("hello-1", app: "hello")
        queue.enqueue("hello-2", app: "hello")
        XCTAssertEqual(queue.grant(), ["hello-0", "hello-1"])
        XCTAssertEqual(queue.running, 4)
        XCTAssertEqual(queue.waitingCount, 62 + 1)
        // A hog call ends: its slot goes to the hog (hello is at its share, 2), never beyond 2 each.
        queue.finish(app: "hog")
        XCTAssertEqual(queue.grant(), ["hog-2"])
        queue.finish(app: "hello")
        XCTAssertEqual(queue.grant(), ["hello-2"])
    }

    func testFreeSlotsAreSharedRoundRobin() {
        var queue = queue(slots: 1, perApp: 1)
        for app in ["a", "b", "c"] {
            for index in 0..<3 { queue.enqueue("\(app)\(index)", app: app) }
        }
        var order: [String] = []
        for _ in 0..<9 {
            let granted = queue.grant()
            XCTAssertEqual(granted.count, 1)
            order += granted
            queue.finish(app: String(granted[0].prefix(1)))
        }
        XCTAssertEqual(order, ["a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"])
        XCTAssertEqual(queue.grant(), [])
        XCTAssertEqual(queue.running, 0)
    }

    func testAnAppArrivingLateWaitsBehindTheAppsAlreadyWaiting() {
        var queue = queue(slots: 1, perApp: 1)
        queue.enqueue("a0", app: "a")
        XCTAssertEqual(queue.grant(), ["a0"])
        queue.enqueue("a1", app: "a")
        queue.enqueue("b0", app: "b")
        queue.enqueue("c0", app: "c")
        queue.finish(app: "a")
        XCTAssertEqual(queue.grant(), ["a1"])
        queue.finish(app: "a")
        XCTAssertEqual(queue.grant(), ["b0"])
        queue.finish(app: "b")
        XCTAssertEqual(queue.grant(), ["c0"])
    }

    func testABlockedCallGivesItsSlotAwayAndResumesFirst() {
        var queue = queue(slots: 1, perApp: 1, maxBlocked: 1, maxBlockedPerApp: 1)
        queue.enqueue("fetch", app: "a")
        XCTAssertEqual(queue.grant(), ["fetch"])
        queue.enqueue("b0", app: "b")
        queue.enqueue("a-new", app: "a")
        // The fetching call waits for the network: its slot goes to b.
        XCTAssertTrue(queue.releaseSlot(app: "a"))
        XCTAssertEqual(queue.blocked, 1)
        XCTAssertEqual(queue.grant(), ["b0"])
        // Over the blocked cap, a second call keeps its slot while it waits.
        XCTAssertFalse(queue.releaseSlot(app: "b"))
        // The fetch returns and wants a slot again: it comes before a's new call.
        queue.enqueueResumer("fetch-resumes", app: "a")
        queue.finish(app: "b")
        XCTAssertEqual(queue.grant(), ["fetch-resumes"])
        XCTAssertEqual(queue.blocked, 0)
        queue.finish(app: "a")
        XCTAssertEqual(queue.grant(), ["a-new"])
    }

    func testStoppingRemovesWaitingCallsButNotResumers() {
        var queue = queue(slots: 1, perApp: 1)
        queue.enqueue("a0", app: "a")
        XCTAssertEqual(queue.grant(), ["a0"])
        XCTAssertTrue(queue.releaseSlot(app: "a"))
        queue.enqueue("b0", app: "b")
        XCTAssertEqual(queue.grant(), ["b0"])
        queue.enqueue("b1", app: "b")
        queue.enqueue("c0", app: "c")
        queue.enqueueResumer("a0-resumes", app: "a")
        XCTAssertEqual(Set(queue.removeWaitingCalls()), ["b1", "c0"])
        queue.finish(app: "b")
        XCTAssertEqual(queue.grant(), ["a0-resumes"], "a call already running finishes (and is stopped)")
        XCTAssertEqual(queue.waitingCount, 0)
    }

    func testDefaultShareIsAQuarterOfTheSlots() {
        XCTAssertEqual(CallSchedulingLimits(slots: 8).slotsPerApp, 2)
        XCTAssertEqual(CallSchedulingLimits(slots: 2).slotsPerApp, 1)
        XCTAssertEqual(CallSchedulingLimits(slots: 64).slotsPerApp, 16)
        XCTAssertEqual(CallSchedulingLimits(slots: 4, slotsPerApp: 9).slotsPerApp, 4, "never more than the slots")
    }
}
