import EnclaveProtocol
import EnclaveServer
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import XCTest

/// Logs and metrics of a real server over real TLS: `/metrics` before and after calls, the
/// plain-HTTP `--metrics-listen` listener, and the log entries of loads, calls, refusals and
/// refused connections with their metadata.
final class ObservabilityTests: XCTestCase {
    private var harness: ServerHarness!
    private let logs = CapturingLogHandler.Store()

    override func setUp() async throws {
        let logs = self.logs
        harness = try await ServerHarness.start { configuration in
            configuration.logger = CapturingLogHandler.logger(logs, level: .debug)
            configuration.metricsListen = MetricsEndpoint(host: "127.0.0.1", port: 0)
        }
    }

    override func tearDown() async throws {
        await harness.stop()
    }

    private static func guestBytes() throws -> [UInt8] {
        try GuestFiles.bytes("Guests/test-guest/test-guest.wasm")
    }

    private func scrape(_ http: HTTPTestClient) async throws -> [String: Double] {
        let reply = try await http.request(.GET, "/metrics")
        XCTAssertEqual(reply.status, 200)
        return PrometheusText.parse(reply.text)
    }

    func testMetricsCountersMoveAfterCalls() async throws {
        let http = try await HTTPTestClient.connect(to: harness.address, group: harness.clientGroup)
        let before = try await scrape(http)
        let bytes = try Self.guestBytes()
        let load = try await http.post("/data", #"{"wasm_load":{"name":"demo","bytes":"\#(Data(bytes).base64EncodedString())"}}"#)
        XCTAssertEqual(load.json?["status"]?.stringValue, "loaded", load.text)
        for b in 1...3 {
            let sum = try await http.post("/rpc/demo/add", #"{"a":2,"b":\#(b)}"#)
            XCTAssertEqual(sum.text, #"{"status":"ok","returns":[{"type":"u32","value":\#(2 + b)}]}"#)
        }
        _ = try await http.post("/rpc/demo/crash", "{}")
        _ = try await http.post("/rpc/demo/spin", "{}")
        _ = try await http.post("/rpc/ghost/add", "{}")
        let after = try await scrape(http)
        func delta(_ series: String) -> Double { (after[series] ?? 0) - (before[series] ?? 0) }

        XCTAssertEqual(delta(#"enclave_calls_total{app="demo"}"#), 5, "three adds, a trap, a spin")
        XCTAssertEqual(delta(#"enclave_call_duration_seconds_count{app="demo"}"#), 5)
        XCTAssertGreaterThan(delta(#"enclave_call_duration_seconds_sum{app="demo"}"#), 0)
        XCTAssertEqual(delta(#"enclave_call_errors_total{kind="trap"}"#), 1)
        XCTAssertEqual(delta(#"enclave_call_errors_total{kind="out_of_fuel"}"#), 1)
        XCTAssertEqual(delta(#"enclave_call_errors_total{kind="request"}"#), 1, "the call of an app that is not loaded")
        // The spin used its whole budget; the adds and the trap used some more.
        XCTAssertGreaterThan(delta(#"enclave_call_fuel_total{app="demo"}"#), Double(harness.server.configuration.defaultFuel))
        XCTAssertEqual(delta(#"enclave_app_loads_total{outcome="loaded"}"#), 1)
        XCTAssertEqual(delta("enclave_app_loaded_bytes_total"), Double(bytes.count))
        // The load, six calls and the second scrape (a scrape counts itself before it renders).
        XCTAssertEqual(delta(#"enclave_requests_total{transport="http"}"#), 8)
        XCTAssertGreaterThan(delta(#"enclave_request_bytes_total{transport="http"}"#), Double(bytes.count))
        XCTAssertGreaterThan(delta(#"enclave_response_bytes_total{transport="http"}"#), 0)
        XCTAssertEqual(after["enclave_apps_loaded"], 1)
        XCTAssertEqual(after["enclave_calls_running"], 0)
        XCTAssertEqual(after["enclave_calls_waiting"], 0)
        XCTAssertEqual(after["enclave_open_connections"], 1)

        // The same figures over plain HTTP on the --metrics-listen address, and nothing else there.
        let metricsAddress = try XCTUnwrap(harness.server.metricsAddress)
        let plain = try await HTTPTestClient.connect(to: metricsAddress, group: harness.clientGroup, plain: true)
        let scraped = try await plain.request(.GET, "/metrics")
        XCTAssertEqual(scraped.status, 200)
        XCTAssertTrue(scraped.headers.first(name: "content-type")?.hasPrefix("text/plain; version=0.0.4") ?? false)
        XCTAssertEqual(PrometheusText.parse(scraped.text)[#"enclave_calls_total{app="demo"}"#], after[#"enclave_calls_total{app="demo"}"#])
        await plain.close()
        let management = try await PlainTCP.exchange(Array("POST /data HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n{\"wasm_list\"".utf8),
                                                      with: metricsAddress, group: harness.clientGroup)
        XCTAssertTrue(String(decoding: management, as: UTF8.self).hasPrefix("HTTP/1.1 4"), String(decoding: management, as: UTF8.self))
        await http.close()
    }

    func testLoadCallTrapAndRefusalLinesCarryTheirMetadata() async throws {
        let client = try await harness.connect()
        let encoded = Data(try Self.guestBytes()).base64EncodedString()
        let loaded = try await client.management(#"{"wasm_load":{"name":"demo","bytes":"\#(encoded)"}}"#)
        XCTAssertEqual(loaded["status"]?.stringValue, "loaded", loaded.serializedString)
        _ = try await client.management(#"{"wasm_call":{"app":"demo","function":"add","params":[{"type":"u32","value":2},{"type":"u32","value":40}]}}"#)
        _ = try await client.management(#"{"wasm_call":{"app":"demo","function":"crash","params":[]}}"#)
        _ = try await client.management(#"{"wasm_call":{"app":"demo","function":"spin","params":[]}}"#)
        _ = try await client.management(#"{"wasm_call":{"app":"ghost","function":"add","params":[]}}"#)
        _ = try await client.management(#"{"wasm_unload":{"name":"demo"}}"#)

        let load = try await logs.first("open management (no operator credentials): loaded app 'demo'")
        XCTAssertEqual(load.level, .info)
        XCTAssertEqual(load.metadata["app"], "demo")
        XCTAssertEqual(load.metadata["request"], "1")
        let connection = try XCTUnwrap(load.metadata["connection"])
        XCTAssertNotNil(load.metadata["duration_ms"].flatMap { Int($0) }, "\(load.metadata)")

        let fuelBudget = harness.server.configuration.defaultFuel
        let ok = try await logs.first("call ok")
        XCTAssertEqual(ok.level, .debug)
        XCTAssertEqual(ok.metadata["app"], "demo")
        XCTAssertEqual(ok.metadata["function"], "add")
        XCTAssertEqual(ok.metadata["connection"], connection)
        XCTAssertEqual(ok.metadata["request"], "2")
        XCTAssertNotNil(ok.metadata["duration_us"].flatMap { Int($0) }, "\(ok.metadata)")
        let used = try XCTUnwrap(ok.metadata["fuel"].flatMap { UInt64($0) }, "\(ok.metadata)")
        XCTAssertTrue((1..<fuelBudget).contains(used), "fuel \(used) of \(fuelBudget)")

        let trap = try await logs.first("call failed: trap")
        XCTAssertEqual(trap.level, .info)
        XCTAssertEqual(trap.metadata["error_kind"], "trap")
        XCTAssertEqual(trap.metadata["function"], "crash")
        XCTAssertEqual(trap.metadata["request"], "3")

        let spin = try await logs.first("call failed: out of fuel")
        XCTAssertEqual(spin.metadata["error_kind"], "out_of_fuel")
        // Out of fuel: the budget is spent but for less than the next charge (WasmKit charges by
        // code region), which is a handful of units, never a thousandth of the budget.
        let spent = try XCTUnwrap(spin.metadata["fuel"].flatMap { UInt64($0) }, "\(spin.metadata)")
        XCTAssertTrue((fuelBudget - fuelBudget / 1000...fuelBudget).contains(spent), "fuel \(spent) of \(fuelBudget)")

        let refused = try await logs.first("call refused: unknown app: 'ghost'")
        XCTAssertEqual(refused.level, .info)
        XCTAssertEqual(refused.metadata["error_kind"], "request")
        XCTAssertEqual(refused.metadata["request"], "5")

        let unload = try await logs.first("open management (no operator credentials): unloaded app 'demo'")
        XCTAssertEqual(unload.metadata["request"], "6")
        await client.close()
    }

    func testTheMetricsListenerHoldsAtMostSixteenConnections() async throws {
        let address = try XCTUnwrap(harness.server.metricsAddress)
        let scrape = Array("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)
        var idle: [Channel] = []
        for _ in 0..<16 {
            idle.append(try await ClientBootstrap(group: harness.clientGroup).connect(to: address).get())
        }
        // The server counts a connection when it accepts it: wait until the 17th is refused.
        var refused = false
        for _ in 0..<250 where !refused {
            refused = try await PlainTCP.exchange(scrape, with: address, group: harness.clientGroup).isEmpty
            if !refused { try await Task.sleep(nanoseconds: 20_000_000) }
        }
        XCTAssertTrue(refused, "a 17th connection was served")
        for channel in idle { try await channel.close() }
        var served = false
        for _ in 0..<250 where !served {
            let reply = String(decoding: try await PlainTCP.exchange(scrape, with: address, group: harness.clientGroup), as: UTF8.self)
            served = reply.hasPrefix("HTTP/1.1 200")
            if !served { try await Task.sleep(nanoseconds: 20_000_000) }
        }
        XCTAssertTrue(served, "connections are served again once the idle ones closed")
    }

    func testARefusedConnectionLeavesATraceWithThePeer() async throws {
        // Not a TLS ClientHello: refused before TLS.
        _ = try await PlainTCP.exchange(Array("GET / HTTP/1.0\r\n\r\n".utf8), with: harness.address, group: harness.clientGroup)
        let refusal = try await logs.first("connection refused before TLS")
        XCTAssertEqual(refusal.level, .notice)
        XCTAssertTrue(refusal.metadata["peer"]?.hasPrefix("127.0.0.1:") ?? false, "\(refusal.metadata)")
        XCTAssertNotNil(refusal.metadata["connection"])

        // A TLS 1.2-only client: the handshake fails (the server speaks TLS 1.3 only).
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        tls.maximumTLSVersion = .tlsv12
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ClientBootstrap(group: harness.clientGroup)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                }
            }
            .connect(to: harness.address).get()
        try? await channel.closeFuture.get()
        let handshake = try await logs.first("connection refused: TLS handshake failed")
        XCTAssertEqual(handshake.level, .notice)
        XCTAssertTrue(handshake.metadata["peer"]?.hasPrefix("127.0.0.1:") ?? false, "\(handshake.metadata)")
    }
}
