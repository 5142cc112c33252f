import EnclaveProtocol
import EnclaveServer
import Foundation
import NIOCore
import NIOPosix
import XCTest

/// Graceful shutdown: requests already received are answered within the grace period, new ones
/// are refused, what is left after it is stopped, and the data directory is released.
final class GracefulShutdownTests: XCTestCase {
    private func loadBusy(_ client: RawTLSClient) async throws {
        try await CrashGuardTests.mustLoad("busy", try WATComponent.build(CallLimitTests.busy), on: client)
    }

    func testCallInFlightIsAnsweredAndALaterRequestRefused() async throws {
        // The "Ping" below must arrive while the call still runs. On a loaded machine the
        // shutdown can start a second or more after the call, so the call lasts 3 s; it reads the
        // clock on every turn, so it gets a fuel budget that 3 s of turns cannot exhaust.
        let harness = try await ServerHarness.start {
            $0.shutdownGracePeriod = .seconds(20)
            $0.maxFuelCap = 1 << 50
        }
        let client = try await harness.connect()
        let idle = try await harness.connect()
        try await CrashGuardTests.mustLoad("busy", try WATComponent.build(CallLimitTests.busy), on: client,
                                           extra: #","max_fuel":\#(1 << 50)"#)
        try await client.send(Request.data(Array(CallLimitTests.busyCall("busy", milliseconds: 3_000).utf8)).encoded())
        let running = await Eventually.wait { harness.server.callUsage?.running == 1 }
        XCTAssertTrue(running, "the call started")

        let started = ContinuousClock.now
        let shutdown = Task { await harness.server.shutdown() }
        let shuttingDown = await Eventually.wait { harness.server.isShuttingDown }
        XCTAssertTrue(shuttingDown)
        // Arrives while the call runs: refused, after the call's answer (answers keep their order).
        try await client.send(Array(#""Ping""#.utf8))

        guard case .data(let bytes)? = try await client.readResponse(timeout: .seconds(30)) else {
            return XCTFail("the call in flight was not answered")
        }
        let reply = try JSON.parse(bytes)
        XCTAssertEqual(reply["status"]?.stringValue, "ok", reply.serializedString)
        XCTAssertGreaterThan(reply["returns"]?.arrayValue?.first?["value"]?.numberValue?.int64 ?? 0, 0)
        let refusal = try await client.readResponse(timeout: .seconds(10))
        XCTAssertEqual(refusal?.errorMessage, "server is shutting down")
        let clientClosed = await client.waitForClose()
        let idleClosed = await idle.waitForClose()
        XCTAssertTrue(clientClosed)
        XCTAssertTrue(idleClosed, "an idle connection is closed at once")
        await shutdown.value
        let took = ContinuousClock.now - started
        XCTAssertLessThan(took, .seconds(10), "the shutdown waited for the grace period instead of the last answer")
        XCTAssertTrue(harness.log.all.contains { $0.hasPrefix("stopped") && $0.contains("drained=true") }, "\(harness.log.all)")
        await harness.stop()
    }

    func testCallsStillRunningAfterTheGracePeriodAreStoppedAndTheStoreReleased() async throws {
        let data = try ServerHarness.makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let harness = try await ServerHarness.start(dataDirectory: data) {
            $0.shutdownGracePeriod = .milliseconds(300)
            $0.callTimeLimit = nil
            $0.maxFuelCap = 1 << 50
        }
        let client = try await harness.connect()
        try await CrashGuardTests.mustLoad("spinner", try WATComponent.build(CrashGuardTests.spinner), on: client,
                                           extra: #","max_fuel":\#(1 << 50)"#)
        let spin = #"{"wasm_call":{"app":"spinner","function":"spin","params":[{"type":"u32","value":4000000000}]}}"#
        try await client.send(Request.data(Array(spin.utf8)).encoded())
        try await CrashGuardTests.waitForGuestCode(in: data)

        let started = ContinuousClock.now
        await harness.server.shutdown()
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(10), "the endless call was not stopped")
        let closed = await client.waitForClose()
        XCTAssertTrue(closed)
        XCTAssertTrue(harness.log.all.contains { $0.contains("grace period over") }, "\(harness.log.all)")

        // The lock is released and nothing is quarantined: a stop is not a crash.
        let next = try await ServerHarness.start(dataDirectory: data)
        let again = try await next.connect()
        let list = try await again.management(#"{"wasm_list":{}}"#)
        XCTAssertEqual(list["apps"]?.arrayValue?.compactMap { $0["name"]?.stringValue }, ["spinner"], list.serializedString)
        await next.stop()
        await harness.stop()
    }

    /// SIGTERM during a 2 s call answers that call, then the process exits cleanly.
    func testSigtermDuringATwoSecondCallAnswersItAndExits() async throws {
        let data = try TestDataDirectory()
        // The busy loop reads the clock on every turn: on a fast, quiet machine 2 s of it costs
        // more than the default 10,000,000 fuel, so the call gets fuel enough for its time.
        let server = try await EnclaveOSProcess.start(dataDirectory: data.path, arguments: ["--max-fuel", "1000000000"])
        let group = MultiThreadedEventLoopGroup.singleton
        do {
            let client = try await server.connect(group: group)
            try await loadBusy(client)
            try await client.send(Request.data(Array(CallLimitTests.busyCall("busy", milliseconds: 2_000).utf8)).encoded())
            try await CrashGuardTests.waitForGuestCode(in: data.path)
            kill(server.process.processIdentifier, SIGTERM)
            guard case .data(let bytes)? = try await client.readResponse(timeout: .seconds(30)) else {
                return XCTFail("the call was not answered: \(server.log)")
            }
            let reply = try JSON.parse(bytes)
            XCTAssertEqual(reply["status"]?.stringValue, "ok", reply.serializedString)
            let closed = await client.waitForClose()
            XCTAssertTrue(closed)
        } catch {
            server.stop()
            throw error
        }
        let exited = await Self.waitForExit(server.process, within: .seconds(20))
        XCTAssertTrue(exited, "enclave-os did not exit after SIGTERM: \(server.log)")
        XCTAssertEqual(server.process.terminationStatus, 0, server.log)
        XCTAssertTrue(server.log.contains("signal received: shutting down gracefully"), server.log)
        XCTAssertTrue(server.log.contains("enclave-os stopped"), server.log)
    }

    func testSecondSignalExitsAtOnceWithoutQuarantine() async throws {
        let data = try TestDataDirectory()
        let options = ["--max-fuel-cap", "1000000000000", "--call-time-limit", "3600", "--shutdown-grace-period", "600"]
        let server = try await EnclaveOSProcess.start(dataDirectory: data.path, arguments: options)
        let group = MultiThreadedEventLoopGroup.singleton
        do {
            let client = try await server.connect(group: group)
            try await CrashGuardTests.mustLoad("spinner", try WATComponent.build(CrashGuardTests.spinner), on: client,
                                               extra: #","max_fuel":1000000000000"#)
            let spin = #"{"wasm_call":{"app":"spinner","function":"spin","params":[{"type":"u32","value":4000000000}]}}"#
            try await client.send(Request.data(Array(spin.utf8)).encoded())
            try await CrashGuardTests.waitForGuestCode(in: data.path)
        } catch {
            server.stop()
            throw error
        }
        kill(server.process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertTrue(server.process.isRunning, "the first signal must wait for the call (grace period 600 s)")
        kill(server.process.processIdentifier, SIGTERM)
        let exited = await Self.waitForExit(server.process, within: .seconds(10))
        XCTAssertTrue(exited, "a second signal must exit at once: \(server.log)")
        XCTAssertEqual(server.process.terminationStatus, 128 + SIGTERM, server.log)
        XCTAssertTrue(server.log.contains("second signal: exiting at once"), server.log)

        let restarted = try await EnclaveOSProcess.start(dataDirectory: data.path, arguments: options)
        defer { restarted.stop() }
        XCTAssertFalse(restarted.log.contains("QUARANTINED"), restarted.log)
        let client = try await restarted.connect(group: group)
        try await CrashGuardTests.expectU32(client, app: "spinner", function: "spin", u32: 3, equals: 3)
        await client.close()
    }

    static func waitForExit(_ process: Process, within limit: Duration) async -> Bool {
        guard await Eventually.wait(within: limit, { !process.isRunning }) else { return false }
        process.waitUntilExit()
        return true
    }
}
