@_spi(Benchmark) import Components
import Foundation
@testable import HostInterfaces
import XCTest

/// The componentize-py component (CPython, ~12 MiB of linear memory) reuses instances through
/// the copy-on-write reset: every call answers as the Python source says, call after call, and
/// the same as a newly instantiated instance. Built by
/// `Tests/DifferentialTests/Guests/componentize-py/build.sh` (18 MB, so not committed).
final class LargeMemoryAppTests: XCTestCase {
    func testCPythonAnswersLikeAFreshInstanceCallAfterCall() throws {
        // Built by the test command (scripts/test) before any test; missing is a failure.
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/guests/componentize-py.wasm").path
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path),
                                 "no componentize-py component at \(path); run Tests/DifferentialTests/Guests/componentize-py/build.sh")
        var imports = WASIHost.imports
        EnclaveSDK.register(into: &imports)  // the component also exercises the SDK's crypto
        let component = try Component.load([UInt8](data), imports: imports)
        XCTAssertTrue(component.reusesInstances)
        let limits = ExecutionLimits(fuel: 1_000_000_000, maxMemoryBytes: 256 << 20)
        let calls: [(String, [ComponentValue], [ComponentValue])] = [
            ("greet", [.string("py")], [.string("Hello, py!")]),
            ("add", [.u32(.max), .u32(3)], [.u32(2)]),
            ("greet", [.string(String(repeating: "é", count: 5000))], [.string("Hello, " + String(repeating: "é", count: 5000) + "!")]),
            ("add", [.u32(40), .u32(2)], [.u32(42)]),
        ]
        for round in 0..<3 {
            for (function, arguments, expected) in calls {
                let session = WASISession(kv: try makeKV())
                XCTAssertEqual(try component.call(function, arguments, limits: limits, session: session), expected, "\(function), round \(round)")
                try session.finish()
            }
        }
        XCTAssertEqual(component.idleInstanceCount, 1, "the calls should have shared one reset instance")
        let session = WASISession(kv: try makeKV())
        XCTAssertEqual(try component.call("add", [.u32(1), .u32(2)], limits: limits, session: session),
                       try component.callFresh("add", [.u32(1), .u32(2)], limits: limits, session: WASISession(kv: try makeKV())))
    }
}
