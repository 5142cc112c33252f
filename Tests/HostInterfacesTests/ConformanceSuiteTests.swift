import Foundation
import Synchronization
import XCTest
import Components
@testable import HostInterfaces
import SealedStore

/// The Embedded Swift guest `Guests/wasi-conformance/wasi-suite.wasm` calls every function of
/// every WASI interface we implement through real component imports and reports each check.
/// The imports are `WASIHost`'s own functions wrapped in a recorder, so the test also proves
/// that each implemented function was reached at least once (a new host function without a
/// guest check fails here).
final class ConformanceSuiteTests: XCTestCase {
    /// Names of the host functions and destructors a call reached (`interface#function`).
    final class CallLog: Sendable {
        private let names = Mutex<Set<String>>([])
        func record(_ name: String) { _ = names.withLock { $0.insert(name) } }
        var all: Set<String> { names.withLock { $0 } }
    }

    static let suiteURL = repositoryRoot.appendingPathComponent("Guests/wasi-conformance/wasi-suite.wasm")

    /// `WASIHost.register`, with every function and destructor recording its name first.
    static func recordingImports(_ log: CallLog) -> HostImports {
        var imports = HostImports()
        for interface in WASIHost.interfaces {
            for (name, function) in interface.functions {
                let full = "\(interface.name)#\(name)"
                imports.define(instance: interface.name, function: name, HostFunction(session: WASISession.self, missing: WASIHost.noSession) {
                    session, _, arguments in
                    log.record(full)
                    return try WASIHost.run { try function(session, arguments) }
                })
            }
            for (resource, destructor) in interface.resources {
                let full = "\(interface.name)#[resource-drop]\(resource)"
                imports.define(instance: interface.name, resource: resource, session: WASISession.self, missing: WASIHost.noSession) {
                    session, rep in
                    log.record(full)
                    try WASIHost.run { try destructor(session, rep) }
                }
            }
        }
        return imports
    }

    /// Every function and destructor `WASIHost` implements, as `interface#name`.
    static var implemented: Set<String> {
        var names: Set<String> = []
        for interface in WASIHost.interfaces {
            for name in interface.functions.keys { names.insert("\(interface.name)#\(name)") }
            // No terminal is ever attached, so no terminal handle exists for the guest to drop.
            for resource in interface.resources.keys where !resource.hasPrefix("terminal-") {
                names.insert("\(interface.name)#[resource-drop]\(resource)")
            }
        }
        return names
    }

    private let log = CallLog()
    private lazy var component: Result<Component, Error> = Result {
        try Component.load(Array(Data(contentsOf: Self.suiteURL)), imports: Self.recordingImports(log))
    }
    private let backend = InMemoryBackend()
    private let key = AppKey.generate()
    private var lines: [String] = []

    private func call(_ name: String, _ arguments: [ComponentValue]) throws -> ComponentValue? {
        let session = WASISession(kv: try makeKV(backend: backend, key: key)) { [weak self] channel, line in
            self?.lines.append("\(channel.rawValue): \(line)")
        }
        defer { XCTAssertNoThrow(try session.finish()) }
        return try component.get().call(name, arguments, session: session).first
    }

    /// The report lines of `run(dir)`.
    private func run(_ dir: String) throws -> [String] {
        guard case .list(let items)? = try call("run", [.string(dir)]) else {
            XCTFail("run did not return a list")
            return []
        }
        return items.compactMap { if case .string(let line) = $0 { return line } else { return nil } }
    }

    func testEveryCheckPassesAndEveryImplementedFunctionIsCalled() throws {
        let report = try run("suite")
        let failures = report.filter { !$0.hasPrefix("ok ") }
        XCTAssertEqual(failures, [], "failed checks:\n" + failures.joined(separator: "\n"))
        XCTAssertGreaterThanOrEqual(report.count, 100, "the suite reports one line per check")
        print("wasi-suite: \(report.count) checks, \(failures.count) failed")
        // exit ends a call, so it is reached by its own export.
        XCTAssertThrowsError(try call("exit-with", [.bool(true)]))
        let missed = Self.implemented.subtracting(log.all)
        XCTAssertEqual(missed.sorted(), [], "implemented WASI functions the guest never called")

        // Stream writes persisted to the sealed store, under the documented entry names.
        let kv = try makeKV(backend: backend, key: key)
        XCTAssertEqual(try kv.get("fs:/suite/s.txt"), Array("HELLO\0\0\0Zld!!".utf8))
        XCTAssertEqual(try kv.get("fs:/suite/copy.txt"), Array("HELLO\0\0\0Zld!!".utf8))
        XCTAssertNil(try kv.get("fs:/suite/a.txt"), "renamed away")
        XCTAssertNil(try kv.get("fs:/suite/sub/"), "removed")
        XCTAssertEqual(lines, ["stdout: wasi-suite: stdout line", "stderr: wasi-suite: stderr line"])
    }

    func testASecondRunInTheSameDirectoryReportsTheFailure() throws {
        XCTAssertEqual(try run("twice").filter { !$0.hasPrefix("ok ") }, [])
        // The second run finds the directory: the suite must say so (its report is not canned).
        let second = try run("twice")
        XCTAssertTrue(second.contains { $0.hasPrefix("FAIL descriptor.create-directory-at") }, "\(second)")
    }

    func testRandomCapIsEnforcedForBothInterfaces() throws {
        for insecure in [false, true] {
            XCTAssertEqual(try call("random-len", [.u64(65536), .bool(insecure)]), .u32(65536))
            XCTAssertThrowsError(try call("random-len", [.u64(65537), .bool(insecure)])) { error in
                XCTAssertTrue("\(error)".contains("the limit is 65536"), "\(error)")
            }
        }
    }

    func testExitEndsTheCallWithAnErrorWhateverTheStatus() throws {
        for success in [true, false] {
            XCTAssertThrowsError(try call("exit-with", [.bool(success)])) { error in
                XCTAssertTrue("\(error)".contains("exit"), "\(error)")
            }
        }
    }
}
