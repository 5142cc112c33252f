import Components
import EnclaveProtocol
import Foundation
import NIOCore
import NIOPosix
import XCTest

/// A hostile component must never take the server down, and a server that did die in an app's
/// code must not die again by restoring that app: the real `enclave-os` process, over TLS.
final class CrashGuardTests: XCTestCase {
    /// A core module whose `name` section names function 0x3FFFFFFF, and whose export traps.
    /// WasmKit symbolicates a trap's backtrace through that section without a bounds check; before
    /// the loader stripped custom sections this killed the server with SIGSEGV on the call.
    static let hostileNameSection = #"""
    (component
      (core module
        (func (export "boom") (result i32) unreachable)
        (@custom "name" (after code) "\01\08\01\ff\ff\ff\ff\03\01x"))
      (core instance (instantiate 0))
      (alias core export 0 "boom" (core func))
      (type (func (result u32)))
      (func (type 0) (canon lift (core func 0)))
      (export "boom" (func 0)))
    """#

    /// Module, function and local names that are all in range, as toolchains emit them.
    static let namedFunctions = #"""
    (component
      (core module $guest
        (func $boom (export "boom") (result i32) (local $unused i32) unreachable)
        (func $seven (export "seven") (result i32) (i32.const 7)))
      (core instance (instantiate 0))
      (alias core export 0 "boom" (core func))
      (alias core export 0 "seven" (core func))
      (type (func (result u32)))
      (func (type 0) (canon lift (core func 0)))
      (func (type 0) (canon lift (core func 1)))
      (export "boom" (func 0))
      (export "seven" (func 1)))
    """#

    /// `spin(n)` counts to `n`: a call that runs as long as the test needs.
    static let spinner = #"""
    (component
      (core module
        (func (export "spin") (param i32) (result i32) (local i32)
          (loop
            (local.set 1 (i32.add (local.get 1) (i32.const 1)))
            (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))
          (local.get 1)))
      (core instance (instantiate 0))
      (alias core export 0 "spin" (core func))
      (type (func (param "n" u32) (result u32)))
      (func (type 0) (canon lift (core func 0)))
      (export "spin" (func 0)))
    """#

    func testHostileNameSectionTrapsCleanlyAndSurvivesARestart() async throws {
        let data = try TestDataDirectory()
        let group = MultiThreadedEventLoopGroup.singleton
        let hostile = try WATComponent.build(Self.hostileNameSection)
        let named = try WATComponent.build(Self.namedFunctions)

        let first = try await EnclaveOSProcess.start(dataDirectory: data.path)
        do {
            let client = try await first.connect(group: group)
            try await Self.mustLoad("hostile", hostile, on: client)
            try await Self.mustLoad("named", named, on: client)
            try await Self.expectTrap(client, app: "hostile", function: "boom")
            try await Self.expectTrap(client, app: "named", function: "boom")
            try await Self.expectU32(client, app: "named", function: "seven", equals: 7)
            let pong = try await client.request(#""Ping""#)
            XCTAssertEqual(pong, .pong)
            await client.close()
        } catch {
            first.stop()
            throw error
        }
        XCTAssertTrue(first.process.isRunning, "the server died: \(first.log)")
        first.stop()

        // The app was persisted: the restarted server restores it and must survive its next trap.
        let second = try await EnclaveOSProcess.start(dataDirectory: data.path)
        defer { second.stop() }
        let client = try await second.connect(group: group)
        try await Self.expectTrap(client, app: "hostile", function: "boom")
        let pong = try await client.request(#""Ping""#)
        XCTAssertEqual(pong, .pong)
        await client.close()
        XCTAssertTrue(second.process.isRunning, "the server died: \(second.log)")
        XCTAssertTrue(second.log.contains("restored 2 of 2"), second.log)
    }

    func testKillNineDuringACallQuarantinesThatAppUntilAnOperatorReloadsIt() async throws {
        let data = try TestDataDirectory()
        let group = MultiThreadedEventLoopGroup.singleton
        let spinner = try WATComponent.build(Self.spinner)

        // A max_fuel above the default cap, and no time limit that could end the call before the kill.
        let options = ["--max-fuel-cap", "1000000000000", "--call-time-limit", "3600"]
        let first = try await EnclaveOSProcess.start(dataDirectory: data.path, arguments: options)
        do {
            let client = try await first.connect(group: group)
            try await Self.mustLoad("spinner", spinner, on: client, extra: #","max_fuel":1000000000000"#)
            try await PersistenceSupport.mustLoad("bystander", on: client)
            // A call that runs for minutes; the server is killed while it runs.
            let call = #"{"wasm_call":{"app":"spinner","function":"spin","params":[{"type":"u32","value":4000000000}]}}"#
            try await client.send(Request.data(Array(call.utf8)).encoded())
            try await Self.waitForGuestCode(in: data.path)
        } catch {
            first.stop()
            throw error
        }
        first.kill9()

        let second = try await EnclaveOSProcess.start(dataDirectory: data.path, arguments: options)
        do {
            let client = try await second.connect(group: group)
            let list = try await client.management(#"{"wasm_list":{}}"#)
            let served = list["apps"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            XCTAssertEqual(served, ["bystander"], list.serializedString)
            let unavailable = try XCTUnwrap(list["unavailable"]?.arrayValue?.first, list.serializedString)
            XCTAssertEqual(unavailable["name"]?.stringValue, "spinner")
            XCTAssertEqual(unavailable["state"]?.stringValue, "quarantined")
            XCTAssertTrue(unavailable["reason"]?.stringValue?.contains("stopped abnormally") == true, list.serializedString)
            XCTAssertTrue(second.log.contains("QUARANTINED"), second.log)
            let refused = try await Self.call(client, app: "spinner", function: "spin", u32: 3)
            XCTAssertTrue(refused["message"]?.stringValue?.hasPrefix("call failed: app 'spinner' is quarantined") == true,
                          refused.serializedString)
            // Other apps are served as usual.
            let sum = try await client.management(#"{"wasm_call":{"app":"bystander","function":"add","params":[{"type":"u32","value":2},{"type":"u32","value":40}]}}"#)
            XCTAssertEqual(sum["returns"]?.arrayValue?.first?["value"]?.numberValue?.int64, 42, sum.serializedString)
            await client.close()
        } catch {
            second.stop()
            throw error
        }
        second.stop()

        // The quarantine is durable: a clean restart keeps it until an operator acts.
        let third = try await EnclaveOSProcess.start(dataDirectory: data.path, arguments: options)
        do {
            let client = try await third.connect(group: group)
            let list = try await client.management(#"{"wasm_list":{}}"#)
            XCTAssertEqual(list["unavailable"]?.arrayValue?.first?["name"]?.stringValue, "spinner", list.serializedString)
            // Other code under the quarantined name is refused: a reload re-trusts the same code.
            let other = try await client.management(Self.loadRequest("spinner", try WATComponent.build(CrashGuardTests.namedFunctions)))
            XCTAssertTrue(other["message"]?.stringValue?.contains("load the same code") == true, other.serializedString)
            let fuel = try await client.management(Self.loadRequest("spinner", spinner, extra: #","max_fuel":5"#))
            XCTAssertTrue(fuel["message"]?.stringValue?.contains("max_fuel differs") == true, fuel.serializedString)
            try await Self.mustLoad("spinner", spinner, on: client)
            try await Self.expectU32(client, app: "spinner", function: "spin", u32: 3, equals: 3)
            await client.close()
        } catch {
            third.stop()
            throw error
        }
        third.stop()

        let fourth = try await EnclaveOSProcess.start(dataDirectory: data.path, arguments: options)
        defer { fourth.stop() }
        XCTAssertTrue(fourth.log.contains("restored 2 of 2"), fourth.log)
    }

    /// WasmKit reads these indices without a bounds check in release builds once a module is
    /// instantiated; its validation must refuse them first (a debug build aborts if it does not).
    func testOutOfRangeIndicesInCoreModulesAreRefusedAtLoad() throws {
        let modules = [
            "(global funcref (ref.func 7)) (func)": "function index out of bounds: 7",
            "(global i32 (global.get 9))": "global index out of bounds: 9",
            "(table 1 funcref) (elem (i32.const 0) func 9) (func)": "function index out of bounds: 9",
            "(memory 1) (data (offset (global.get 5)) \"x\")": "global index out of bounds: 5",
            "(table 1 funcref) (elem (offset (global.get 5)) func 0) (func)": "global index out of bounds: 5",
            "(start 9) (func)": "Function index 9 is out of range",
            "(export \"f\" (func 9))": "function index out of bounds: 9",
        ]
        for (body, expected) in modules {
            let bytes = try WATComponent.build("(component (core module \(body)) (core instance (instantiate 0)))")
            XCTAssertThrowsError(try Component.load(bytes), body) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(body): \(error)")
            }
        }
    }

    // MARK: - Helpers

    /// Waits until the server's in-flight record shows guest code running (a non-zero slot).
    static func waitForGuestCode(in directory: String) async throws {
        let path = (directory as NSString).appendingPathComponent("in-flight.map")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let bytes = FileManager.default.contents(atPath: path), bytes.dropFirst(8).contains(where: { $0 != 0 }) {
                return
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        XCTFail("no guest code was recorded as running in \(path) within 30 s")
    }

    static func loadRequest(_ name: String, _ bytes: [UInt8], extra: String = "") -> String {
        #"{"wasm_load":{"name":"\#(name)","bytes":"\#(Data(bytes).base64EncodedString())"\#(extra)}}"#
    }

    static func mustLoad(_ name: String, _ bytes: [UInt8], on client: RawTLSClient, extra: String = "",
                         file: StaticString = #filePath, line: UInt = #line) async throws {
        let reply = try await client.management(loadRequest(name, bytes, extra: extra))
        XCTAssertEqual(reply["status"]?.stringValue, "loaded", reply.serializedString, file: file, line: line)
    }

    static func call(_ client: RawTLSClient, app: String, function: String, u32 argument: UInt32? = nil) async throws -> JSON {
        let params = argument.map { #"[{"type":"u32","value":\#($0)}]"# } ?? "[]"
        return try await client.management(#"{"wasm_call":{"app":"\#(app)","function":"\#(function)","params":\#(params)}}"#)
    }

    static func expectTrap(_ client: RawTLSClient, app: String, function: String,
                           file: StaticString = #filePath, line: UInt = #line) async throws {
        let reply = try await call(client, app: app, function: function)
        XCTAssertEqual(reply["status"]?.stringValue, "error", reply.serializedString, file: file, line: line)
        XCTAssertTrue(reply["message"]?.stringValue?.hasPrefix("call failed: trap: ") == true, reply.serializedString,
                      file: file, line: line)
    }

    static func expectU32(_ client: RawTLSClient, app: String, function: String, u32 argument: UInt32? = nil,
                          equals expected: Int64, file: StaticString = #filePath, line: UInt = #line) async throws {
        let reply = try await call(client, app: app, function: function, u32: argument)
        XCTAssertEqual(reply["returns"]?.arrayValue?.first?["value"]?.numberValue?.int64, expected, reply.serializedString,
                       file: file, line: line)
    }
}
