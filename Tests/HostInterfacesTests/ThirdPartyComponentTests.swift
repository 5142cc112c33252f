import Components
import Foundation
@testable import HostInterfaces
import XCTest

/// A component from a third-party toolchain: componentize-py (CPython inside a component, with
/// wasi-libc and WASI 0.2.9 imports incl. wasi:sockets and the terminal interfaces), linked
/// against our real WASI host. Built on demand by
/// `Tests/DifferentialTests/Guests/componentize-py/build.sh` (18 MB, so not committed); skipped
/// when absent. Its answers must equal the Python source's.
final class ThirdPartyComponentTests: XCTestCase {
    func testComponentizePyComponentRunsOnTheWASIHost() throws {
        let path = ProcessInfo.processInfo.environment["ENCLAVE_COMPONENTIZE_PY_WASM"] ?? "/tmp/enclave-componentize-py/hello.wasm"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw XCTSkip("no componentize-py component at \(path); run Tests/DifferentialTests/Guests/componentize-py/build.sh")
        }
        let started = Date()
        let component = try Component.load([UInt8](data), imports: WASIHost.imports)
        print("THIRD-PARTY: componentize-py component (\(data.count) bytes) loaded in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; exports \(component.exports.map(\.name))")
        // CPython runs many instructions per call: give it what a server operator would.
        let limits = ExecutionLimits(fuel: 10_000_000_000, maxMemoryBytes: 1 << 30)
        for (function, arguments, expected) in [("greet", [ComponentValue.string("py")], [ComponentValue.string("Hello, py!")]),
                                                ("add", [.u32(.max), .u32(3)], [.u32(2)])] {
            let session = WASISession(kv: try makeKV())
            XCTAssertEqual(try component.call(function, arguments, limits: limits, session: session), expected, function)
            try session.finish()
        }
    }
}
