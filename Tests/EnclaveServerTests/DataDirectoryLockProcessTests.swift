import Foundation
import XCTest

/// Two real `enclave-os` processes on one `--data-dir`: the second refuses to start and names
/// the first's PID; once the first is gone (even by SIGKILL, which runs no clean-up) the
/// directory can be used again.
final class DataDirectoryLockProcessTests: XCTestCase {
    func testASecondServerOnTheSameDataDirRefusesAndNamesTheFirst() async throws {
        let data = try TestDataDirectory()
        let first = try await EnclaveOSProcess.start(dataDirectory: data.path)
        defer { first.stop() }

        let (second, stderr) = try EnclaveOSProcess.launch(["--host", "127.0.0.1", "--port", "0", "--data-dir", data.path])
        second.waitUntilExit()
        XCTAssertNotEqual(second.terminationStatus, 0)
        let expected = "is in use by another enclave-os (pid \(first.process.processIdentifier))"
        let deadline = Date().addingTimeInterval(5)  // the collector drains the pipe on another thread
        while !stderr.current.contains(expected), Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        XCTAssertTrue(stderr.current.contains(expected), stderr.current)
        XCTAssertFalse(stderr.current.contains("listening on"), stderr.current)

        first.kill9()
        let third = try await EnclaveOSProcess.start(dataDirectory: data.path)
        third.stop()
    }
}
