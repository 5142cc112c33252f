import EnclaveProtocol
@testable import EnclaveServer
import Foundation
import NIOCore
import NIOPosix
import XCTest

/// Each resource limit refuses at its limit, over real sockets, with a text naming the limit.
final class ResourceLimitTests: XCTestCase {
    private static let cFiles = "Guests/c-wasi-files/c-wasi-files.wasm"

    private func load(_ path: String, as name: String, on client: RawTLSClient, extra: String = "") async throws -> JSON {
        let encoded = Data(try GuestFiles.bytes(path)).base64EncodedString()
        return try await client.management(#"{"wasm_load":{"name":"\#(name)","bytes":"\#(encoded)"\#(extra)}}"#)
    }

    private func writeFile(_ path: String, _ contents: String, on client: RawTLSClient) async throws -> JSON {
        try await client.management(
            #"{"wasm_call":{"app":"files","function":"write-file","params":[{"type":"string","value":"\#(path)"},{"type":"string","value":"\#(contents)"}]}}"#)
    }

    func testTheAppLimitRefusesTheLoadPastIt() async throws {
        let harness = try await ServerHarness.start { $0.resourceLimits.maxApps = 2 }
        let client = try await harness.connect()
        try await PersistenceSupport.mustLoad("one", on: client)
        try await PersistenceSupport.mustLoad("two", on: client)
        let third = try await PersistenceSupport.load("three", on: client)
        XCTAssertEqual(third["message"]?.stringValue,
                       "app limit reached: this server stores at most 2 apps (enclave-os --max-apps); unload one first")
        _ = try await PersistenceSupport.unload("one", on: client)
        try await PersistenceSupport.mustLoad("three", on: client)
        await harness.stop()
    }

    func testTheStorageQuotaRefusesAWriteThatWouldPassIt() async throws {
        let harness = try await ServerHarness.start { $0.resourceLimits.maxAppStorageBytes = 64 << 10 }
        let client = try await harness.connect()
        let loaded = try await load(Self.cFiles, as: "files", on: client)
        XCTAssertEqual(loaded["status"]?.stringValue, "loaded", loaded.serializedString)
        let small = try await writeFile("small.txt", String(repeating: "s", count: 1000), on: client)
        XCTAssertTrue(small.serializedString.contains(#""value":{"ok":"#), small.serializedString)
        let big = try await writeFile("big.txt", String(repeating: "b", count: 100_000), on: client)
        XCTAssertTrue(big.serializedString.contains(#"{"err":{"type":"string","value":"write: Quota exceeded"}}"#),
                      "the guest sees its write fail with EDQUOT: \(big.serializedString)")
        XCTAssertTrue(harness.log.all.contains {
            $0.hasPrefix("storage quota: app 'files': 1 write(s) refused") && $0.contains("storage quota of 65536 bytes (--max-app-storage-mib)")
        }, "\(harness.log.all)")
        // The write stopped at the quota (wasi-libc writes in pieces, so big.txt keeps what fit,
        // as on a full disk); the small file is intact, and deleting makes room again.
        let read = try await client.management(#"{"wasm_call":{"app":"files","function":"read-file","params":[{"type":"string","value":"small.txt"}]}}"#)
        XCTAssertTrue(read.serializedString.contains(String(repeating: "s", count: 1000)), read.serializedString)
        let usage = try XCTUnwrap(harness.server.registry.app(named: "files")?.kv.usage())
        XCTAssertLessThanOrEqual(usage.bytes, 64 << 10)
        let full = try await writeFile("again.txt", String(repeating: "a", count: 20_000), on: client)
        XCTAssertTrue(full.serializedString.contains("Quota exceeded"), full.serializedString)
        let removed = try await client.management(#"{"wasm_call":{"app":"files","function":"remove-file","params":[{"type":"string","value":"big.txt"}]}}"#)
        XCTAssertTrue(removed.serializedString.contains(#""value":{"ok":"#), removed.serializedString)
        let again = try await writeFile("again.txt", String(repeating: "a", count: 20_000), on: client)
        XCTAssertTrue(again.serializedString.contains(#""value":{"ok":"#), again.serializedString)
        await harness.stop()
    }

    func testTheEntryQuotaRefusesTheFilePastItAndDeletingMakesRoom() async throws {
        let harness = try await ServerHarness.start { $0.resourceLimits.maxAppEntries = 20 }
        let client = try await harness.connect()
        _ = try await load(Self.cFiles, as: "files", on: client)
        var written = 0
        for index in 0..<30 {
            let reply = try await writeFile("f\(index)", "x", on: client)
            guard reply.serializedString.contains(#""value":{"ok":"#) else {
                XCTAssertTrue(reply.serializedString.contains("Quota exceeded"), reply.serializedString)
                break
            }
            written += 1
        }
        XCTAssertGreaterThan(written, 0)
        XCTAssertLessThan(written, 30, "20 entries cannot hold 30 files")
        let usage = try XCTUnwrap(harness.server.registry.app(named: "files")?.kv.usage())
        XCTAssertLessThanOrEqual(usage.entries, 20)
        let removed = try await client.management(#"{"wasm_call":{"app":"files","function":"remove-file","params":[{"type":"string","value":"f0"}]}}"#)
        XCTAssertTrue(removed.serializedString.contains(#""value":{"ok":"#), removed.serializedString)
        let after = try await writeFile("late", "x", on: client)
        XCTAssertTrue(after.serializedString.contains(#""value":{"ok":"#), after.serializedString)
        await harness.stop()
    }

    func testConnectionsPastTheLimitAreClosedAndLaterOnesServed() async throws {
        let harness = try await ServerHarness.start { $0.resourceLimits.maxConnections = 2 }
        let first = try await harness.connect()
        let second = try await harness.connect()
        do {
            let third = try await harness.connect()
            let closed = await third.waitForClose(timeout: .seconds(5))
            XCTAssertTrue(closed, "a third connection was kept open past --max-connections 2")
        } catch {
            // Closed during the handshake: refused, as it should be.
        }
        XCTAssertTrue(harness.log.all.contains { $0.hasPrefix("connection limit: 2 connections are open (--max-connections)") },
                      "\(harness.log.all)")
        await first.close()
        var served = false
        for _ in 0..<50 where !served {
            if let client = try? await harness.connect(), (try? await client.request(#""Ping""#)) == .pong {
                served = true
                await client.close()
            } else {
                try await Task.sleep(nanoseconds: 100_000_000)
            }
        }
        XCTAssertTrue(served, "a connection after one closed was not served")
        await second.close()
        await harness.stop()
    }

    func testAHeaderBegunAndLeftIsClosedByTheFrameDeadline() async throws {
        let harness = try await ServerHarness.start { $0.frameStallTimeoutSeconds = 1 }
        let client = try await harness.connect()
        try await client.write([0, 0, 0])
        let started = NIODeadline.now()
        let response = try await client.readResponse(timeout: .seconds(15))
        XCTAssertEqual(response?.errorMessage, "frame header stalled: 3 of 4 bytes arrived, then nothing for 1 s; closing")
        let closed = await client.waitForClose(timeout: .seconds(10))
        XCTAssertTrue(closed, "3 bytes of a header, then silence: the connection stayed open")
        XCTAssertLessThan((NIODeadline.now() - started).nanoseconds, 5_000_000_000)
        await harness.stop()
    }

    func testATCPConnectionThatNeverHandshakesIsClosed() async throws {
        let harness = try await ServerHarness.start { $0.resourceLimits.handshakeTimeoutSeconds = 1 }
        let channel = try await ClientBootstrap(group: harness.clientGroup).connect(to: harness.address).get()
        let started = NIODeadline.now()
        let closed = channel.eventLoop.makePromise(of: Bool.self)
        channel.closeFuture.whenComplete { _ in closed.succeed(true) }
        channel.eventLoop.scheduleTask(in: .seconds(10)) { closed.succeed(false) }
        let wasClosed = try await closed.futureResult.get()
        XCTAssertTrue(wasClosed, "a connection that never started TLS stayed open")
        XCTAssertLessThan((NIODeadline.now() - started).nanoseconds, 5_000_000_000)
        await harness.stop()
    }

    /// 2,000 connections that handshake and then say nothing are all closed by the idle
    /// timeout, while a new client is served meanwhile; a call longer than the timeout is not
    /// mistaken for idleness.
    func testIdleConnectionsAreClosedWhileNewClientsAreServed() async throws {
        let idle = 3
        let harness = try await ServerHarness.start {
            $0.resourceLimits.idleTimeoutSeconds = idle
            $0.resourceLimits.maxConnections = 4096
        }
        let count = 2000
        var clients: [RawTLSClient] = []
        clients.reserveCapacity(count)
        let opening = NIODeadline.now()
        for _ in 0..<(count / 50) {
            try await withThrowingTaskGroup(of: RawTLSClient.self) { group in
                for _ in 0..<50 { group.addTask { try await harness.connect() } }
                for try await client in group { clients.append(client) }
            }
        }
        let openSeconds = Double((NIODeadline.now() - opening).nanoseconds) / 1e9
        let fresh = try await harness.connect()
        let ping = NIODeadline.now()
        let pong = try await fresh.request(#""Ping""#)
        XCTAssertEqual(pong, .pong)
        let pingMillis = Double((NIODeadline.now() - ping).nanoseconds) / 1e6
        XCTAssertLessThan(pingMillis, 1000, "a new client waited \(pingMillis) ms beside \(count) idle connections")

        var open = count
        for client in clients where await client.waitForClose(timeout: .seconds(Int64(idle) + 30)) { open -= 1 }
        XCTAssertEqual(open, 0, "\(open) of \(count) idle connections still open (opened in \(openSeconds) s)")
        await fresh.close()
        await harness.stop()
    }
}
