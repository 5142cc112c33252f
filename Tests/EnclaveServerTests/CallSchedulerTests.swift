import Components
import Dispatch
import NIOCore
import NIOPosix
import Synchronization
import XCTest
@testable import EnclaveServer

/// The call scheduler with its real threads and event loops: a slot is held by a call that runs,
/// never by one waiting for a busy thread, and the slot and per-app limits hold under contention.
final class CallSchedulerTests: XCTestCase {
    /// Debug builds run ~100× slower than release: a generous limit keeps the test calls short.
    private static let limits = CallSchedulingLimits(slots: 1, slotsPerApp: 1, inlineCallLimit: .milliseconds(50))
    private static var waitLimit: DispatchTime { .now() + .seconds(30) }

    private var group: MultiThreadedEventLoopGroup!

    override func setUp() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    }

    override func tearDown() {
        try? group.syncShutdownGracefully()
    }

    private func loops() -> (EventLoop, EventLoop) {
        let first = group.next()
        var second = group.next()
        while second === first { second = group.next() }
        return (first, second)
    }

    /// Gives `function` of `app` the record that lets its calls run on an event loop.
    private func earnInlineRecord(_ scheduler: CallScheduler, app: String = "app", function: String, on loop: EventLoop) throws {
        for _ in 0..<InlineCallHistory.shortRunsToInline {
            _ = try scheduler.submit(app: app, function: function, mayRunInline: true, timeLimit: nil, on: loop) { _ in 0 }.wait()
        }
    }

    /// Blocks `loop` until the returned semaphore is signalled.
    private func block(_ loop: EventLoop) -> DispatchSemaphore {
        let gate = DispatchSemaphore(value: 0), blocked = DispatchSemaphore(value: 0)
        loop.execute {
            blocked.signal()
            gate.wait()
        }
        blocked.wait()
        return gate
    }

    private func waitUntilNoSlotIsHeld(_ scheduler: CallScheduler) {
        let deadline = ContinuousClock.now + .seconds(10)
        while scheduler.usage.running != 0, ContinuousClock.now < deadline { usleep(1_000) }
    }

    /// An event loop runs at most `maxQueuedRunsPerTurn` queued calls in a row; the next ones go
    /// to a call thread instead of back onto the same loop (NIO would run them in the same turn,
    /// before the loop reads its sockets again).
    func testAnEventLoopRunsAtMostItsShareOfQueuedCallsInARow() throws {
        let scheduler = CallScheduler(limits: Self.limits)
        let (loop, _) = loops()
        try earnInlineRecord(scheduler, function: "hello", on: loop)
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        // An inline call holds the only slot on the loop while the queue fills up.
        let held = loop.submit {
            scheduler.runInline(app: "app", function: "hello", mayRunInline: true, timeLimit: nil, on: loop) { _ in
                holding.signal()
                release.wait()
                return true
            }
        }
        XCTAssertEqual(holding.wait(timeout: Self.waitLimit), .success)
        let queued = 3 * CallScheduler.maxQueuedRunsPerTurn
        let onLoop = (0..<queued).map { _ in
            scheduler.submit(app: "app", function: "hello", mayRunInline: true, timeLimit: nil, on: loop) { _ in loop.inEventLoop }
        }
        release.signal()
        XCTAssertEqual(try held.wait(), true)
        let ranOnLoop = try onLoop.map { try $0.wait() }.filter { $0 }.count
        XCTAssertLessThanOrEqual(ranOnLoop, CallScheduler.maxQueuedRunsPerTurn,
                                 "\(ranOnLoop) of \(queued) queued calls ran on the loop in one turn")
        XCTAssertGreaterThan(ranOnLoop, 0, "the loop that freed the slot ran none of the queued calls")
    }

    /// A call that waits for a database (the PostgreSQL store tells `willWaitForDatabase`) takes
    /// its export off the event loops, even one that had earned its record there.
    func testACallThatWaitsForTheDatabaseLeavesTheEventLoops() throws {
        let scheduler = CallScheduler(limits: Self.limits)
        let (loop, _) = loops()
        try earnInlineRecord(scheduler, function: "read", on: loop)
        let inlineBefore = try loop.submit {
            scheduler.runInline(app: "app", function: "read", mayRunInline: true, timeLimit: nil, on: loop) { _ in loop.inEventLoop }
        }.wait()
        XCTAssertEqual(inlineBefore, true, "with its record the export runs on its loop")
        _ = try scheduler.submit(app: "app", function: "read", mayRunInline: true, timeLimit: nil, on: loop) { _ in
            CallScheduler.willWaitForDatabase()
            return 0
        }.wait()
        let inlineAfter = try loop.submit {
            scheduler.runInline(app: "app", function: "read", mayRunInline: true, timeLimit: nil, on: loop) { _ in true }
        }.wait()
        XCTAssertNil(inlineAfter, "an export that waited for the database ran on an event loop again")
        let thread = try scheduler.submit(app: "app", function: "read", mayRunInline: true, timeLimit: nil, on: loop) { _ in
            loop.inEventLoop
        }.wait()
        XCTAssertFalse(thread, "a submitted call of it ran on its event loop")
    }

    /// A call thread frees the only slot while the loop of the call waiting for it is busy: the
    /// call thread runs the waiting call itself. (Before, the call hopped to its busy loop and
    /// held the slot, not running, until that loop was free.)
    func testAWaitingCallRunsOnTheCallThreadThatFreesTheSlotNotOnItsBusyLoop() throws {
        let scheduler = CallScheduler(limits: Self.limits)
        let (loop, busyLoop) = loops()
        try earnInlineRecord(scheduler, function: "hello", on: busyLoop)
        let longStarted = DispatchSemaphore(value: 0), releaseLong = DispatchSemaphore(value: 0)
        let long = scheduler.submit(app: "app", function: "long", mayRunInline: true, timeLimit: nil, on: loop) { _ in
            longStarted.signal()
            releaseLong.wait()
            return 1
        }
        XCTAssertEqual(longStarted.wait(timeout: Self.waitLimit), .success)
        let gate = block(busyLoop)
        let helloRan = DispatchSemaphore(value: 0)
        let hello = scheduler.submit(app: "app", function: "hello", mayRunInline: true, timeLimit: nil, on: busyLoop) { _ in
            helloRan.signal()
            return 2
        }
        XCTAssertEqual(scheduler.usage.running, 1)
        XCTAssertEqual(scheduler.usage.waiting, 1)
        releaseLong.signal()
        XCTAssertEqual(helloRan.wait(timeout: Self.waitLimit), .success, "the waiting call ran while its loop was busy")
        waitUntilNoSlotIsHeld(scheduler)
        XCTAssertEqual(scheduler.usage.running, 0, "no slot is held while the answer waits for its busy loop")
        gate.signal()
        XCTAssertEqual(try long.wait(), 1)
        XCTAssertEqual(try hello.wait(), 2, "the answer is completed on its own loop")
    }

    /// The same when the slot is freed by a call that ran inline on another event loop: that
    /// loop runs the waiting call in its next turn.
    func testAWaitingCallRunsOnTheLoopThatFreesTheSlotNotOnItsBusyLoop() throws {
        let scheduler = CallScheduler(limits: Self.limits)
        let (loop, busyLoop) = loops()
        try earnInlineRecord(scheduler, function: "hello", on: loop)
        let inlineStarted = DispatchSemaphore(value: 0), releaseInline = DispatchSemaphore(value: 0)
        let first = loop.flatSubmit {
            scheduler.submit(app: "app", function: "hello", mayRunInline: true, timeLimit: nil, on: loop) { _ in
                inlineStarted.signal()
                releaseInline.wait()
                return 1
            }
        }
        XCTAssertEqual(inlineStarted.wait(timeout: Self.waitLimit), .success)
        XCTAssertEqual(scheduler.inlineRuns, 1, "the first call runs inline on its loop")
        let gate = block(busyLoop)
        let secondRan = DispatchSemaphore(value: 0)
        let second = scheduler.submit(app: "app", function: "hello", mayRunInline: true, timeLimit: nil, on: busyLoop) { _ in
            secondRan.signal()
            return 2
        }
        XCTAssertEqual(scheduler.usage.waiting, 1)
        releaseInline.signal()
        XCTAssertEqual(secondRan.wait(timeout: Self.waitLimit), .success, "the waiting call ran while its loop was busy")
        XCTAssertEqual(scheduler.inlineRuns, 2, "on the loop that freed the slot")
        waitUntilNoSlotIsHeld(scheduler)
        XCTAssertEqual(scheduler.usage.running, 0)
        gate.signal()
        XCTAssertEqual(try first.wait(), 1)
        XCTAssertEqual(try second.wait(), 2)
    }

    /// Many calls of two apps, submitted from both loops and from outside them, some inline
    /// and some not: never more calls run at once than the slots, nor more of one app than its
    /// share, and every call is answered on its own loop.
    func testSlotsAndSharesHoldUnderContention() throws {
        let limits = CallSchedulingLimits(slots: 3, slotsPerApp: 2, inlineCallLimit: .milliseconds(50))
        let scheduler = CallScheduler(limits: limits)
        let (first, second) = loops()
        for app in ["a", "b"] { try earnInlineRecord(scheduler, app: app, function: "short", on: first) }
        struct Counts { var running = 0, maxRunning = 0, byApp: [String: Int] = [:], maxByApp: [String: Int] = [:] }
        let counts = Mutex(Counts())
        var futures: [EventLoopFuture<Bool>] = []
        for index in 0..<600 {
            let app = index % 3 == 0 ? "b" : "a"
            let function = index % 5 == 0 ? "long" : "short"
            let loop = index % 2 == 0 ? first : second
            let body: @Sendable (CallControl) -> Int = { _ in
                counts.withLock { counts in
                    counts.running += 1
                    counts.byApp[app, default: 0] += 1
                    counts.maxRunning = max(counts.maxRunning, counts.running)
                    counts.maxByApp[app] = max(counts.maxByApp[app, default: 0], counts.byApp[app]!)
                }
                usleep(function == "long" ? 200 : 0)
                counts.withLock { counts in
                    counts.running -= 1
                    counts.byApp[app]! -= 1
                }
                return index
            }
            let submit: @Sendable () -> EventLoopFuture<Bool> = {
                scheduler.submit(app: app, function: function, mayRunInline: true, timeLimit: nil, on: loop, body)
                    .map { value in loop.inEventLoop && value == index }
            }
            futures.append(index % 4 == 0 ? submit() : loop.flatSubmit(submit))
        }
        for (index, future) in futures.enumerated() {
            XCTAssertTrue(try future.wait(), "call \(index) answered with its own value on its own loop")
        }
        let final = counts.withLock { $0 }
        XCTAssertLessThanOrEqual(final.maxRunning, limits.slots)
        XCTAssertLessThanOrEqual(final.maxByApp["a"] ?? 0, limits.slotsPerApp)
        XCTAssertLessThanOrEqual(final.maxByApp["b"] ?? 0, limits.slotsPerApp)
        XCTAssertGreaterThan(final.maxRunning, 1, "calls did run side by side")
        XCTAssertEqual(scheduler.usage.running, 0)
        XCTAssertEqual(scheduler.usage.waiting, 0)
        XCTAssertGreaterThan(scheduler.inlineRuns, 0)
    }
}
