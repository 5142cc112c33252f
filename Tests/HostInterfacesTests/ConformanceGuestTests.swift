import Foundation
import XCTest
import Components
@testable import HostInterfaces
import SealedStore

/// End to end: the WAT guest `Guests/wasi-conformance` calls random, clocks, filesystem and
/// stdout through real component imports, loaded with `WASIHost.imports`.
final class ConformanceGuestTests: XCTestCase {
    private static let component: Result<Component, Error> = Result {
        let url = repositoryRoot.appendingPathComponent("Guests/wasi-conformance/wasi-conformance.wasm")
        return try Component.load(Array(Data(contentsOf: url)), imports: WASIHost.imports)
    }

    private var backend = InMemoryBackend()
    private var key = AppKey.generate()
    private var lines: [String] = []

    /// One call in a fresh session (a fresh instance and a fresh `WASISession`), finished after.
    private func call(_ name: String, _ arguments: [ComponentValue]) throws -> ComponentValue? {
        let session = WASISession(kv: try makeKV(backend: backend, key: key)) { [weak self] channel, line in
            self?.lines.append("\(channel.rawValue): \(line)")
        }
        defer { XCTAssertNoThrow(try session.finish()) }
        return try Self.component.get().call(name, arguments, session: session).first
    }

    func testLoadsWithTheWASIImports() throws {
        let component = try Self.component.get()
        XCTAssertEqual(component.exports.map(\.name).sorted(),
                       ["monotonic-now", "monotonic-steady", "print", "random-differs", "random-len", "read-file",
                        "wall-nanos", "wall-seconds", "write-file"])
        // Without the WASI host the same bytes are refused, naming an import.
        let bytes = Array(try Data(contentsOf: repositoryRoot.appendingPathComponent("Guests/wasi-conformance/wasi-conformance.wasm")))
        XCTAssertThrowsError(try Component.load(bytes)) { error in
            XCTAssertTrue("\(error)".contains("wasi:"), "\(error)")
        }
    }

    func testRandomThroughTheGuest() throws {
        XCTAssertEqual(try call("random-len", [.u64(32)]), .u32(32))
        XCTAssertEqual(try call("random-len", [.u64(65536)]), .u32(65536))
        XCTAssertEqual(try call("random-differs", []), .u32(1))
        XCTAssertThrowsError(try call("random-len", [.u64(65537)])) { error in
            XCTAssertTrue("\(error)".contains("the limit is 65536"), "\(error)")
        }
    }

    func testClocksThroughTheGuest() throws {
        guard case .u64(let seconds)? = try call("wall-seconds", []) else { return XCTFail("wall-seconds") }
        XCTAssertEqual(Double(seconds), Date().timeIntervalSince1970, accuracy: 2)
        var nanos: Set<UInt32> = []
        for _ in 0..<3 {
            guard case .u32(let n)? = try call("wall-nanos", []) else { return XCTFail("wall-nanos") }
            XCTAssertLessThan(n, 1_000_000_000)
            nanos.insert(n)
        }
        XCTAssertGreaterThan(nanos.count, 1, "real nanoseconds vary between calls")
        XCTAssertEqual(try call("monotonic-steady", [.u32(10_000)]), .u32(1))
        guard case .u64(let first)? = try call("monotonic-now", []),
              case .u64(let second)? = try call("monotonic-now", []) else { return XCTFail("monotonic-now") }
        XCTAssertGreaterThanOrEqual(second, first, "never decreasing, across calls too")
    }

    func testFilesystemThroughTheGuestPersistsAcrossCalls() throws {
        XCTAssertEqual(try call("write-file", [.string("notes.txt"), .string("sealed hello")]), .u32(0))
        XCTAssertEqual(try call("read-file", [.string("notes.txt")]), .string("sealed hello"))
        XCTAssertEqual(try call("read-file", [.string("./notes.txt")]), .string("sealed hello"))
        // Stored as the documented entry, sealed in the app's store.
        XCTAssertEqual(try makeKV(backend: backend, key: key).get("fs:/notes.txt"), Array("sealed hello".utf8))
        func code(_ c: WASIErrorCode) -> String { "error:" + String(format: "%02d", c.rawValue) }
        XCTAssertEqual(try call("read-file", [.string("missing.txt")]), .string(code(.noEntry)))
        XCTAssertEqual(try call("write-file", [.string("nodir/x.txt"), .string("x")]), .u32(UInt32(WASIErrorCode.noEntry.rawValue + 1)))
        for escape in ["../x", "/abs/../..", "a/../../b", "/etc/passwd"] {
            XCTAssertEqual(try call("write-file", [.string(escape), .string("x")]), .u32(UInt32(WASIErrorCode.notPermitted.rawValue + 1)), escape)
        }
        // Another app (another key) sees nothing of it.
        key = AppKey.generate()
        XCTAssertEqual(try call("read-file", [.string("notes.txt")]), .string(code(.noEntry)))
    }

    func testStdoutGoesToTheLog() throws {
        _ = try call("print", [.string("hello from the guest")])
        XCTAssertEqual(lines, ["stdout: hello from the guest"])
    }

    func testCallWithoutSessionTrapsClearly() throws {
        XCTAssertThrowsError(try Self.component.get().call("random-len", [.u64(1)])) { error in
            XCTAssertTrue("\(error)".contains("no WASI session"), "\(error)")
        }
    }
}
