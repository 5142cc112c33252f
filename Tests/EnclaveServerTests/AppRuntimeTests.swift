import Components
import EnclaveProtocol
@_spi(Benchmark) @testable import EnclaveServer
import SealedStore
import XCTest

/// `AppRuntime` on its own: the limits a prepared call gets, the typed outcome of each way a
/// call ends, and the benchmark entry point running the same path. Real components (built
/// from WAT by wasm-tools) over a real sealed store (in memory).
final class AppRuntimeTests: XCTestCase {
    /// `hello` answers 42, `spin` loops until its fuel runs out, `crash` traps.
    static let app = #"""
    (component
      (core module $m
        (func (export "hello") (result i32) (i32.const 42))
        (func (export "spin") (result i32) (loop $l (br $l)) (i32.const 0))
        (func (export "crash") (result i32) unreachable))
      (core instance $i (instantiate $m))
      (func (export "hello") (result u32) (canon lift (core func $i "hello")))
      (func (export "spin") (result u32) (canon lift (core func $i "spin")))
      (func (export "crash") (result u32) (canon lift (core func $i "crash"))))
    """#

    /// A management service over an in-memory store, with `app` loaded as `small` (the
    /// default fuel) and as `large` (more fuel than a call may burn on an event loop).
    private func makeService() throws -> ManagementService {
        var configuration = ServerConfiguration(port: 0)
        configuration.log = { _ in }
        let registry = AppRegistry()
        let store = try SealedStore(backend: InMemoryBackend(), sealingKeyProvider: EphemeralSealingKey())
        try registry.attach(store, restoring: AppRestorer(configuration: configuration))
        let service = ManagementService(registry: registry, configuration: configuration)
        let bytes = try WATComponent.build(Self.app)
        for (name, fuel) in [("small", nil), ("large", InlineCallHistory.maxInlineFuel + 1)] as [(String, UInt64?)] {
            let loaded = service.load(LoadRequest(name: name, bytes: bytes, maxFuel: fuel))
            guard case .loaded = loaded else { throw WATComponent.Failure(description: "load of \(name): \(loaded)") }
        }
        return service
    }

    private func prepare(_ service: ManagementService, _ app: String, _ function: String) throws -> AppCall {
        try service.prepareCall(CallRequest(app: app, function: function, params: [])).get()
    }

    func testPreparedCallsCarryTheirAppsLimits() throws {
        let service = try makeService()
        let small = try prepare(service, "small", "hello")
        XCTAssertEqual(small.limits.execution, small.app.limits)
        XCTAssertEqual(small.limits.fuel, ServerConfiguration(port: 0).defaultFuel)
        XCTAssertEqual(small.limits.resultMemoryBytes, service.configuration.maxResultMemoryBytes)
        XCTAssertTrue(small.limits.mayRunInline)
        let large = try prepare(service, "large", "hello")
        XCTAssertEqual(large.limits.fuel, InlineCallHistory.maxInlineFuel + 1)
        XCTAssertFalse(large.limits.mayRunInline, "a call allowed more fuel than an inline run may burn stays off the event loop")
    }

    func testEachWayACallEndsIsOneTypedOutcome() throws {
        let service = try makeService()
        let runtime = service.runtime
        XCTAssertEqual(runtime.outcome(of: try prepare(service, "small", "hello"), control: nil), .returned([.u32(42)]))
        XCTAssertEqual(runtime.outcome(of: try prepare(service, "small", "spin"), control: nil),
                       .failed(.outOfFuel, message: "call failed: out of fuel"))
        let crash = runtime.outcome(of: try prepare(service, "small", "crash"), control: nil)
        XCTAssertEqual(crash.failure, .trap)
        guard case .failed(_, let message) = crash else { return XCTFail("crash returned: \(crash)") }
        XCTAssertTrue(message.hasPrefix("call failed: trap"), message)
        XCTAssertEqual(crash.response(for: try prepare(service, "small", "crash").function).encoded(),
                       ManagementResponse.error(message).encoded())
    }

    func testRunAnswersWhatTheOutcomeSays() throws {
        let service = try makeService()
        let hello = try prepare(service, "small", "hello")
        let response = service.runtime.run(hello)
        XCTAssertEqual(String(decoding: response.encoded(), as: UTF8.self),
                       #"{"status":"ok","returns":[{"type":"u32","value":42}]}"#)
    }

    /// `callAsServer` (what `enclave-bench` measures) is the runtime's own prepare and invoke.
    func testBenchmarkEntryPointRunsTheRuntimesPath() throws {
        let service = try makeService()
        let app = try XCTUnwrap(service.registry.app(named: "small"))
        XCTAssertEqual(try app.callAsServer("hello", []), [.u32(42)])
        XCTAssertThrowsError(try app.callAsServer("spin", [])) { error in
            XCTAssertEqual(error as? ComponentError, .outOfFuel)
        }
        XCTAssertThrowsError(try app.callAsServer("missing", [])) { error in
            XCTAssertEqual(error as? ComponentError, .noSuchExport("missing"))
        }
    }
}
