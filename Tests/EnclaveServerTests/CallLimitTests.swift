import Egress
import EnclaveProtocol
import EnclaveServer
import Foundation
import NIOCore
import NIOPosix
import XCTest

/// Limits that hold under hostile load, over real TLS: fair execution slots between apps, the
/// per-call time limit and the `max_fuel` cap.
final class CallLimitTests: XCTestCase {
    /// `busy(ms)` loops on `wasi:clocks/monotonic-clock.now` until `ms` milliseconds have passed
    /// (so it takes that long whatever the machine), `hello()` answers 42 at once.
    static let busy = #"""
    (component
      (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock
        (export "now" (func (result u64)))))
      (core func $now (canon lower (func $clock "now")))
      (core module $m
        (import "clock" "now" (func $now (result i64)))
        (func (export "busy") (param i32) (result i32) (local $end i64) (local $n i32)
          (local.set $end (i64.add (call $now) (i64.mul (i64.extend_i32_u (local.get 0)) (i64.const 1000000))))
          (loop $l
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (br_if $l (i64.lt_u (call $now) (local.get $end))))
          (local.get $n))
        (func (export "hello") (result i32) (i32.const 42)))
      (core instance $clocks (export "now" (func $now)))
      (core instance $i (instantiate $m (with "clock" (instance $clocks))))
      (func (export "busy") (param "ms" u32) (result u32) (canon lift (core func $i "busy")))
      (func (export "hello") (result u32) (canon lift (core func $i "hello"))))
    """#

    static func busyCall(_ app: String, milliseconds: UInt32) -> String {
        #"{"wasm_call":{"app":"\#(app)","function":"busy","params":[{"type":"u32","value":\#(milliseconds)}]}}"#
    }

    static func helloCall(_ app: String) -> String {
        #"{"wasm_call":{"app":"\#(app)","function":"hello","params":[]}}"#
    }

    /// Eight endless calls of one app (far more than its share of two of four slots) while
    /// another app's `hello` is called: each hello is served at once. With one queue for all
    /// apps, it would wait for two rounds of the hog's calls (1.5 s each).
    func testEndlessCallsOfOneAppDoNotStarveAnother() async throws {
        let harness = try await ServerHarness.start {
            $0.maxConcurrentCalls = 4
            $0.maxCallsPerApp = 2
            $0.maxFuelCap = 1 << 50
            $0.callTimeLimit = .milliseconds(1500)
        }
        let loader = try await harness.connect()
        try await CrashGuardTests.mustLoad("hog", try WATComponent.build(CrashGuardTests.spinner), on: loader,
                                           extra: #","max_fuel":\#(1 << 50)"#)
        try await CrashGuardTests.mustLoad("other", try WATComponent.build(Self.busy), on: loader)

        var hogs: [RawTLSClient] = []
        for _ in 0..<8 {
            let client = try await harness.connect()
            let spin = #"{"wasm_call":{"app":"hog","function":"spin","params":[{"type":"u32","value":4000000000}]}}"#
            try await client.send(Request.data(Array(spin.utf8)).encoded())
            hogs.append(client)
        }
        let holdsShare = await Eventually.wait { harness.server.callUsage?.running == 2 }
        XCTAssertTrue(holdsShare, "the hog holds exactly its share: \(String(describing: harness.server.callUsage))")

        var slowest = Duration.zero
        for _ in 0..<5 {
            let started = ContinuousClock.now
            let reply = try await loader.management(Self.helloCall("other"))
            slowest = max(slowest, ContinuousClock.now - started)
            XCTAssertEqual(reply["returns"]?.arrayValue?.first?["value"]?.numberValue?.int64, 42, reply.serializedString)
        }
        XCTAssertLessThan(slowest, .milliseconds(500), "another app's hello waited for the hog's calls")

        // The hog's calls end by the time limit, one share at a time.
        for client in hogs {
            guard case .data(let bytes)? = try await client.readResponse(timeout: .seconds(120)) else {
                return XCTFail("no answer to a hog call")
            }
            XCTAssertEqual(try JSON.parse(bytes)["message"]?.stringValue, "call failed: time limit (1.5 s)")
            await client.close()
        }
        await harness.stop()
    }

    func testCallPastTheTimeLimitFailsWithTheLimit() async throws {
        let harness = try await ServerHarness.start {
            $0.maxFuelCap = 1 << 50
            $0.callTimeLimit = .milliseconds(500)
        }
        let client = try await harness.connect()
        try await CrashGuardTests.mustLoad("spinner", try WATComponent.build(CrashGuardTests.spinner), on: client,
                                           extra: #","max_fuel":\#(1 << 50)"#)
        try await CrashGuardTests.mustLoad("busy", try WATComponent.build(Self.busy), on: client)
        let started = ContinuousClock.now
        let spin = try await CrashGuardTests.call(client, app: "spinner", function: "spin", u32: 4_000_000_000)
        XCTAssertEqual(spin.serializedString, #"{"status":"error","message":"call failed: time limit (0.5 s)"}"#)
        // Host calls count too: busy spends its time in wasi:clocks calls.
        let busy = try await client.management(Self.busyCall("busy", milliseconds: 5_000))
        XCTAssertEqual(busy["message"]?.stringValue, "call failed: time limit (0.5 s)", busy.serializedString)
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
        // Within the limit, calls succeed.
        let quick = try await client.management(Self.busyCall("busy", milliseconds: 50))
        XCTAssertEqual(quick["status"]?.stringValue, "ok", quick.serializedString)
        await harness.stop()
    }

    /// `zeroes(n)` writes n × 1 MiB of zeroes to stdout with `write-zeroes`: work its values do
    /// not show, charged by the length it asks for.
    static let zeroes = #"""
    (component
      (import "wasi:io/error@0.2.0" (instance $error_inst
        (export "error" (type (sub resource)))))
      (alias export $error_inst "error" (type $error))
      (import "wasi:io/streams@0.2.0" (instance $streams
        (export "error" (type $e (eq $error)))
        (export "output-stream" (type $os (sub resource)))
        (type $se (variant (case "last-operation-failed" (own $e)) (case "closed")))
        (export "stream-error" (type $se2 (eq $se)))
        (export "[method]output-stream.write-zeroes" (func (param "self" (borrow $os)) (param "len" u64) (result (result (error $se2)))))))
      (alias export $streams "output-stream" (type $output-stream))
      (import "wasi:cli/stdout@0.2.0" (instance $stdout
        (export "output-stream" (type $os (eq $output-stream)))
        (export "get-stdout" (func (result (own $os))))))
      (core module $mem (memory (export "memory") 1))
      (core instance $m (instantiate $mem))
      (alias core export $m "memory" (core memory $memory))
      (core func $get (canon lower (func $stdout "get-stdout")))
      (core func $zeroes (canon lower (func $streams "[method]output-stream.write-zeroes") (memory $memory)))
      (core module $main
        (import "host" "get-stdout" (func $get (result i32)))
        (import "host" "write-zeroes" (func $zeroes (param i32 i64 i32)))
        (func (export "zeroes") (param $times i32) (result i32) (local $out i32) (local $i i32)
          (local.set $out (call $get))
          (block $done
            (loop $next
              (br_if $done (i32.ge_u (local.get $i) (local.get $times)))
              (call $zeroes (local.get $out) (i64.const 1048576) (i32.const 64))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $next)))
          (local.get $i)))
      (core instance $host (export "get-stdout" (func $get)) (export "write-zeroes" (func $zeroes)))
      (core instance $i (instantiate $main (with "host" (instance $host))))
      (func (export "zeroes") (param "times" u32) (result u32) (canon lift (core func $i "zeroes"))))
    """#

    func testHostWorkTheValuesDoNotShowIsCharged() async throws {
        let harness = try await ServerHarness.start { $0.defaultFuel = 10_000_000 }
        let client = try await harness.connect()
        try await CrashGuardTests.mustLoad("zeroes", try WATComponent.build(Self.zeroes), on: client)
        // 9 MiB of zeroes fit in 10 M fuel; 10 MiB do not.
        try await CrashGuardTests.expectU32(client, app: "zeroes", function: "zeroes", u32: 9, equals: 9)
        let over = try await CrashGuardTests.call(client, app: "zeroes", function: "zeroes", u32: 10)
        XCTAssertEqual(over["message"]?.stringValue, "call failed: out of fuel", over.serializedString)
        await harness.stop()
    }

    func testMaxFuelAboveTheCapIsRefusedAtLoad() async throws {
        let harness = try await ServerHarness.start()
        let client = try await harness.connect()
        let bytes = try WATComponent.build(CrashGuardTests.spinner)
        let refused = try await client.management(CrashGuardTests.loadRequest("greedy", bytes, extra: #","max_fuel":18446744073709551615"#))
        XCTAssertEqual(refused["message"]?.stringValue,
                       "max_fuel 18446744073709551615 exceeds this server's cap of 1000000000 fuel per call (--max-fuel-cap)",
                       refused.serializedString)
        let list = try await client.management(#"{"wasm_list":{}}"#)
        XCTAssertEqual(list["apps"]?.arrayValue?.count, 0, list.serializedString)
        // At the cap is fine.
        try await CrashGuardTests.mustLoad("greedy", bytes, on: client, extra: #","max_fuel":1000000000"#)
        await harness.stop()
    }
}

/// A call waiting for an HTTPS response gives its execution slot to others.
final class BlockedEgressCallTests: XCTestCase {
    /// Eight fetches from a server that accepts connections and never answers, with only two
    /// slots (both of which the fetching app may hold): another app's hello is served at once,
    /// and the fetches end at the call time limit.
    func testFetchesFromASilentServerDoNotHoldTheSlots() async throws {
        let pki = try TestPKI.make()
        defer { try? FileManager.default.removeItem(at: pki.directory) }
        // Accepts, never reads, never writes: a TLS handshake with it waits forever.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.autoRead, value: false)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try XCTUnwrap(silent.localAddress?.port)
        let egress = try HTTPSEgress(configuration: EgressConfiguration(
            caBundlePath: pki.caPEMPath, resolve: try EgressConfiguration.parseResolve(["silent.example:443=127.0.0.1:\(port)"])))
        let harness = try await ServerHarness.start {
            $0.egress = egress
            $0.maxConcurrentCalls = 2
            $0.maxCallsPerApp = 2
            $0.callTimeLimit = .seconds(3)
        }
        let loader = try await harness.connect()
        try await CrashGuardTests.mustLoad("fetcher", try GuestFiles.bytes("Guests/egress-probe/egress-probe-positional.wasm"),
                                           on: loader)
        try await CrashGuardTests.mustLoad("other", try WATComponent.build(CallLimitTests.busy), on: loader)

        var fetchers: [RawTLSClient] = []
        for _ in 0..<8 {
            let client = try await harness.connect()
            let probe = #"{"wasm_call":{"app":"fetcher","function":"probe","params":[{"type":"u32","value":0},"#
                + #"{"type":"string","value":"https://silent.example/"},{"type":"bytes","value":[]}]}}"#
            try await client.send(Request.data(Array(probe.utf8)).encoded())
            fetchers.append(client)
        }
        let allBlocked = await Eventually.wait { harness.server.callUsage?.blocked == 8 }
        let usage = try XCTUnwrap(harness.server.callUsage)
        XCTAssertTrue(allBlocked, "every fetch waits without a slot: \(usage)")
        XCTAssertEqual(usage.running, 0, "\(usage)")

        var slowest = Duration.zero
        for _ in 0..<5 {
            let started = ContinuousClock.now
            let reply = try await loader.management(CallLimitTests.helloCall("other"))
            slowest = max(slowest, ContinuousClock.now - started)
            XCTAssertEqual(reply["returns"]?.arrayValue?.first?["value"]?.numberValue?.int64, 42, reply.serializedString)
        }
        XCTAssertLessThan(slowest, .milliseconds(500), "hello waited for the blocked fetches")

        for client in fetchers {
            guard case .data(let bytes)? = try await client.readResponse(timeout: .seconds(60)) else {
                return XCTFail("no answer to a fetch")
            }
            XCTAssertEqual(try JSON.parse(bytes)["message"]?.stringValue, "call failed: time limit (3 s)")
            await client.close()
        }
        await harness.stop()
        try await egress.shutdown()
        try await silent.close()
    }
}
