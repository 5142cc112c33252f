import EnclaveProtocol
import XCTest
@testable import EnclaveServer

/// Which calls may run on the event loop that received them: the record an export must earn,
/// how it loses it, and that an inline call takes a slot only when the queue would grant one.
final class InlineCallTests: XCTestCase {
    private let hello = InlineCallHistory.Export(app: "app", function: "hello")
    private let short: Duration = .microseconds(10)
    private let limit = CallSchedulingLimits.defaultInlineCallLimit

    func testAnExportEarnsTheInlinePathOnlyAfterConsecutiveShortRuns() {
        var history = InlineCallHistory(shortRun: limit)
        for run in 1...InlineCallHistory.shortRunsToInline {
            XCTAssertFalse(history.mayInline(hello), "not before \(InlineCallHistory.shortRunsToInline) short runs (run \(run))")
            history.record(hello, cpu: short, elapsed: short, inline: false)
        }
        XCTAssertTrue(history.mayInline(hello))
        XCTAssertFalse(history.mayInline(.init(app: "app", function: "other")), "records are per export")
        XCTAssertFalse(history.mayInline(.init(app: "other", function: "hello")), "and per app")
    }

    func testOneLongRunSendsTheExportBackToTheCallThreads() {
        var history = InlineCallHistory(shortRun: limit)
        for _ in 0..<InlineCallHistory.shortRunsToInline { history.record(hello, cpu: short, elapsed: short, inline: false) }
        history.record(hello, cpu: limit + .microseconds(1), elapsed: limit + .microseconds(1), inline: true)
        XCTAssertFalse(history.mayInline(hello))
        for _ in 0..<InlineCallHistory.shortRunsToInline - 1 { history.record(hello, cpu: short, elapsed: short, inline: false) }
        XCTAssertFalse(history.mayInline(hello), "the record starts again from zero")
        history.record(hello, cpu: short, elapsed: short, inline: false)
        XCTAssertTrue(history.mayInline(hello))
    }

    func testAnEstablishedRecordForgivesOneLongerRunButNotTwo() {
        var history = InlineCallHistory(shortRun: limit)
        let outlier = limit * 6  // a loaded machine's outlier: over the limit, under the barring factor
        for _ in 0..<InlineCallHistory.establishedRuns { history.record(hello, cpu: short, elapsed: short, inline: true) }
        history.record(hello, cpu: outlier, elapsed: outlier, inline: true)
        XCTAssertTrue(history.mayInline(hello), "one outlier after an established record is forgiven")
        history.record(hello, cpu: short, elapsed: short, inline: true)
        history.record(hello, cpu: outlier, elapsed: outlier, inline: true)
        XCTAssertFalse(history.mayInline(hello), "a second longer run before the record is established again is not")
        // Re-earned, then established again: one outlier is forgiven once more.
        for _ in 0..<InlineCallHistory.establishedRuns { history.record(hello, cpu: short, elapsed: short, inline: false) }
        history.record(hello, cpu: outlier, elapsed: outlier, inline: true)
        XCTAssertTrue(history.mayInline(hello))
        // An export that turned slow: it leaves the loop after the second longer run.
        history.record(hello, cpu: outlier, elapsed: outlier, inline: true)
        XCTAssertFalse(history.mayInline(hello))
        // The barring limits are unchanged: an established record does not soften them.
        for _ in 0..<InlineCallHistory.establishedRuns { history.record(hello, cpu: short, elapsed: short, inline: false) }
        history.record(hello, cpu: limit * (InlineCallHistory.barringFactor + 1), elapsed: short, inline: true)
        for _ in 0..<100 { history.record(hello, cpu: short, elapsed: short, inline: false) }
        XCTAssertFalse(history.mayInline(hello), "a very long inline run bars it for good")
    }

    func testAVeryLongInlineRunOrAHostWaitBarsTheExportForGood() {
        var history = InlineCallHistory(shortRun: limit)
        for _ in 0..<InlineCallHistory.shortRunsToInline { history.record(hello, cpu: short, elapsed: short, inline: false) }
        history.record(hello, cpu: limit * (InlineCallHistory.barringFactor + 1), elapsed: short, inline: true)
        for _ in 0..<100 { history.record(hello, cpu: short, elapsed: short, inline: false) }
        XCTAssertFalse(history.mayInline(hello))

        let fetch = InlineCallHistory.Export(app: "app", function: "fetch")
        for _ in 0..<InlineCallHistory.shortRunsToInline { history.record(fetch, cpu: short, elapsed: short, inline: false) }
        history.bar(fetch)
        for _ in 0..<100 { history.record(fetch, cpu: short, elapsed: short, inline: false) }
        XCTAssertFalse(history.mayInline(fetch))
    }

    func testCPUTimeDecidesAndWallClockTimeBoundsTheWait() {
        var history = InlineCallHistory(shortRun: limit)
        // Preempted mid-call: little CPU, some wall-clock time: still short.
        for _ in 0..<InlineCallHistory.shortRunsToInline {
            history.record(hello, cpu: short, elapsed: limit * 3, inline: false)
        }
        XCTAssertTrue(history.mayInline(hello))
        // Waiting (a disk write): little CPU, but more wall-clock time than a short run may take.
        history.record(hello, cpu: short, elapsed: limit * (InlineCallHistory.waitFactor + 1), inline: true)
        XCTAssertFalse(history.mayInline(hello))
        // Burning CPU inline past the barring factor bars it.
        for _ in 0..<InlineCallHistory.shortRunsToInline { history.record(hello, cpu: short, elapsed: short, inline: false) }
        history.record(hello, cpu: limit * (InlineCallHistory.barringFactor + 1), elapsed: short, inline: true)
        for _ in 0..<10 { history.record(hello, cpu: short, elapsed: short, inline: false) }
        XCTAssertFalse(history.mayInline(hello))
    }

    func testARunThatWasOnlyPreemptedIsJudgedByItsCPUTime() {
        var history = InlineCallHistory(shortRun: limit)
        for _ in 0..<InlineCallHistory.shortRunsToInline { history.record(hello, cpu: short, elapsed: short, inline: false) }
        // Preempted on a busy machine for longer than any wait may last, without waiting once.
        history.record(hello, cpu: short, elapsed: history.stallLimit * 3, inline: true, waited: false)
        XCTAssertTrue(history.mayInline(hello))
        // The same wall-clock time spent waiting is a stall: the export goes back to the call threads.
        history.record(hello, cpu: short, elapsed: history.stallLimit * 3, inline: true, waited: true)
        XCTAssertFalse(history.mayInline(hello))
    }

    func testStallsFarApartDoNotBarButOneVeryLongStallDoes() {
        var history = InlineCallHistory(shortRun: limit)
        let stall = InlineCallHistory.Run(cpu: short, elapsed: history.stallLimit + .microseconds(1))
        let start = ContinuousClock.now
        for index in 0..<(InlineCallHistory.maxStalls * 3) {
            for _ in 0..<InlineCallHistory.establishedRuns { history.record(hello, cpu: short, elapsed: short, inline: true) }
            XCTAssertTrue(history.mayInline(hello), "stall \(index) was a window after the one before")
            history.record(hello, stall, inline: true, now: start + InlineCallHistory.stallWindow * index)
        }
        for _ in 0..<InlineCallHistory.shortRunsToInline { history.record(hello, cpu: short, elapsed: short, inline: false) }
        XCTAssertTrue(history.mayInline(hello))
        let veryLong = limit * InlineCallHistory.stallBarringFactor + .microseconds(1)
        history.record(hello, cpu: short, elapsed: veryLong, inline: true)
        for _ in 0..<100 { history.record(hello, cpu: short, elapsed: short, inline: false) }
        XCTAssertFalse(history.mayInline(hello), "one stall over the barring factor bars it for good")
    }

    func testAStallSendsTheExportBackWithoutForgivenessAndRepeatedStallsBarIt() {
        var history = InlineCallHistory(shortRun: limit)
        let stall = history.stallLimit + .microseconds(1)
        for stalls in 1...InlineCallHistory.maxStalls {
            for _ in 0..<InlineCallHistory.establishedRuns { history.record(hello, cpu: short, elapsed: short, inline: true) }
            XCTAssertTrue(history.mayInline(hello), "an established record (stall \(stalls))")
            history.record(hello, cpu: short, elapsed: stall, inline: true)
            XCTAssertFalse(history.mayInline(hello), "a stall is not forgiven, even after an established record (stall \(stalls))")
            for _ in 0..<InlineCallHistory.shortRunsToInline - 1 { history.record(hello, cpu: short, elapsed: short, inline: false) }
            XCTAssertFalse(history.mayInline(hello), "the record starts again from zero (stall \(stalls))")
            history.record(hello, cpu: short, elapsed: short, inline: false)
            XCTAssertEqual(history.mayInline(hello), stalls < InlineCallHistory.maxStalls,
                           "short runs earn it back until the \(InlineCallHistory.maxStalls)th stall (stall \(stalls))")
        }
        for _ in 0..<100 { history.record(hello, cpu: short, elapsed: short, inline: false) }
        XCTAssertFalse(history.mayInline(hello), "barred for good")
        // A long wait on a call thread is no stall of a loop: it only breaks the record.
        let fetch = InlineCallHistory.Export(app: "app", function: "fetch")
        for _ in 0..<(InlineCallHistory.maxStalls + 1) {
            for _ in 0..<InlineCallHistory.shortRunsToInline { history.record(fetch, cpu: short, elapsed: short, inline: false) }
            history.record(fetch, cpu: short, elapsed: stall, inline: false)
        }
        for _ in 0..<InlineCallHistory.shortRunsToInline { history.record(fetch, cpu: short, elapsed: short, inline: false) }
        XCTAssertTrue(history.mayInline(fetch))
    }

    func testThreadUsageCountsWaitsAndCPUTimeOfTheCallingThread() {
        let waitsBefore = ThreadUsage.waits(), cpuBefore = ThreadUsage.cpuTime()
        usleep(2_000)
        XCTAssertGreaterThan(ThreadUsage.waits(), waitsBefore, "a sleep gives up the core")
        XCTAssertLessThan(ThreadUsage.cpuTime() - cpuBefore, .milliseconds(1), "sleeping is not CPU time")
        // Burn CPU until the thread's clock has advanced 2 ms (bounded by 10 s of wall-clock time).
        let started = ThreadUsage.cpuTime(), deadline = ContinuousClock.now + .seconds(10)
        var spun = 0
        while ThreadUsage.cpuTime() - started < .milliseconds(2), ContinuousClock.now < deadline { spun &+= 1 }
        XCTAssertGreaterThanOrEqual(ThreadUsage.cpuTime() - started, .milliseconds(2))
    }

    func testAZeroLimitInlinesNothing() {
        var history = InlineCallHistory(shortRun: .zero)
        for _ in 0..<10 { history.record(hello, cpu: .zero, elapsed: .zero, inline: false) }
        XCTAssertFalse(history.mayInline(hello))
    }

    func testTheHistoryIsBounded() {
        var history = InlineCallHistory(shortRun: limit)
        for index in 0..<(InlineCallHistory.maxTracked + 100) {
            history.record(.init(app: "app-\(index)", function: "f"), cpu: short, elapsed: short, inline: false)
        }
        XCTAssertEqual(history.trackedCount, InlineCallHistory.maxTracked)
        let late = InlineCallHistory.Export(app: "late", function: "f")
        for _ in 0..<10 { history.record(late, cpu: short, elapsed: short, inline: false) }
        XCTAssertFalse(history.mayInline(late), "untracked exports use the call threads")
    }

    func testAnImmediateClaimNeverPassesOverAWaitingCall() {
        var queue = FairCallQueue<String>(limits: CallSchedulingLimits(slots: 2, slotsPerApp: 1))
        XCTAssertTrue(queue.claimImmediately(app: "a"))
        XCTAssertFalse(queue.claimImmediately(app: "a"), "a is at its share")
        queue.enqueue("a1", app: "a")
        XCTAssertEqual(queue.grant(), [])
        XCTAssertFalse(queue.claimImmediately(app: "b"), "a call waits: b queues behind it, even with a slot free")
        queue.finish(app: "a")
        XCTAssertEqual(queue.grant(), ["a1"])
        XCTAssertTrue(queue.claimImmediately(app: "b"))
        XCTAssertEqual(queue.running, 2)
        XCTAssertFalse(queue.claimImmediately(app: "c"), "no slot free")
    }
}

/// The same over real TLS: short calls end up on the event loop, answers stay right and in
/// order, and an export that runs long goes back to the call threads.
final class InlineCallOverTLSTests: XCTestCase {
    private func inlineCalls(_ harness: ServerHarness) -> Int {
        harness.server.state.withLock { $0.executor }?.inlineCalls ?? -1
    }

    private func busy(_ client: RawTLSClient, milliseconds: UInt32) async throws -> JSON {
        try await client.management(CallLimitTests.busyCall("app", milliseconds: milliseconds))
    }

    /// Debug builds run WasmKit ~100× slower than release: a generous limit keeps `hello` short.
    static let limit: Duration = .milliseconds(50)

    func testShortCallsRunInlineAndALongOneSendsItsExportBack() async throws {
        let harness = try await ServerHarness.start { $0.inlineCallLimit = Self.limit }
        let client = try await harness.connect()
        try await CrashGuardTests.mustLoad("app", try WATComponent.build(CallLimitTests.busy), on: client)
        for _ in 0..<InlineCallHistory.shortRunsToInline {
            let reply = try await client.management(CallLimitTests.helloCall("app"))
            XCTAssertEqual(reply["returns"]?.arrayValue?.first?["value"]?.numberValue?.int64, 42, reply.serializedString)
        }
        XCTAssertEqual(inlineCalls(harness), 0, "an export without a record runs on a call thread")
        for _ in 0..<10 {
            let reply = try await client.management(CallLimitTests.helloCall("app"))
            XCTAssertEqual(reply["returns"]?.arrayValue?.first?["value"]?.numberValue?.int64, 42, reply.serializedString)
        }
        // All 10 unless the machine stalled one past the limit (which sends it back for 4 runs).
        XCTAssertGreaterThan(inlineCalls(harness), 0)

        // `busy(0)` earns the inline path, then one `busy(300)` (inline, 300 ms: over the limit) loses it.
        for _ in 0..<InlineCallHistory.shortRunsToInline { _ = try await busy(client, milliseconds: 0) }
        let before = inlineCalls(harness)
        _ = try await busy(client, milliseconds: 300)
        XCTAssertEqual(inlineCalls(harness), before + 1)
        let reply = try await busy(client, milliseconds: 0)
        XCTAssertNotNil(reply["returns"], reply.serializedString)
        XCTAssertEqual(inlineCalls(harness), before + 1, "after a 300 ms run busy uses the call threads")
        await client.close()
        await harness.stop()
    }

    func testPipelinedInlineCallsAreAnsweredInOrder() async throws {
        let harness = try await ServerHarness.start { $0.inlineCallLimit = Self.limit }
        let client = try await harness.connect()
        try await CrashGuardTests.mustLoad("app", try WATComponent.build(CallLimitTests.busy), on: client)
        for _ in 0..<InlineCallHistory.shortRunsToInline { _ = try await busy(client, milliseconds: 0) }
        // One write of 64 requests alternating `hello` (42) and `wasm_list`, answered in order.
        var batch: [UInt8] = []
        for index in 0..<64 {
            let inner = index % 2 == 0 ? CallLimitTests.helloCall("app") : #"{"wasm_list":{}}"#
            batch += Frame.encode(Request.data(Array(inner.utf8)).encoded())
        }
        try await client.write(batch)
        for index in 0..<64 {
            guard case .data(let bytes)? = try await client.readResponse(timeout: .seconds(30)) else {
                return XCTFail("no answer \(index)")
            }
            let reply = try JSON.parse(bytes)
            if index % 2 == 0 {
                XCTAssertEqual(reply["returns"]?.arrayValue?.first?["value"]?.numberValue?.int64, 42, "answer \(index): \(reply.serializedString)")
            } else {
                XCTAssertNotNil(reply["apps"], "answer \(index): \(reply.serializedString)")
            }
        }
        XCTAssertGreaterThan(inlineCalls(harness), 0)
        await client.close()
        await harness.stop()
    }
}
