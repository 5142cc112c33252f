import Foundation
import XCTest
@testable import SealedStore

/// `SealedStore.open(…exclusive: true)` (what the server uses) holds a lock on the data
/// directory until its backend closes; a second exclusive opener is refused with the holder's
/// PID. Cross-process behaviour (two `enclave-os` on one `--data-dir`) is in
/// EnclaveServerTests.DataDirectoryLockProcessTests.
final class DataDirectoryLockTests: XCTestCase {
    func testSecondExclusiveOpenIsRefusedUntilTheFirstCloses() throws {
        let dir = try TempDirectory()
        let first = try SealedStore.open(dataDirectory: dir.path, exclusive: true)
        let lockFile = try String(contentsOfFile: dir.file(DataDirectoryLock.fileName), encoding: .utf8)
        XCTAssertEqual(lockFile, "\(getpid())\n", "the lock file names its holder")

        XCTAssertThrowsError(try SealedStore.open(dataDirectory: dir.path, exclusive: true)) { error in
            XCTAssertEqual(error as? DataDirectoryLock.Failure, .inUse(directory: dir.path, holderPID: getpid()))
            XCTAssertTrue("\(error)".contains("is in use by another enclave-os (pid \(getpid()))"), "\(error)")
        }
        // Non-exclusive openers (tools, tests inspecting a stopped server's files) are not locked out.
        XCTAssertNoThrow(try SealedStore.open(dataDirectory: dir.path))

        (first.backend as? SQLiteBackend)?.close()
        let second = try SealedStore.open(dataDirectory: dir.path, exclusive: true)
        (second.backend as? SQLiteBackend)?.close()
    }

    func testTheLockIsReleasedWhenTheLockObjectGoes() throws {
        let dir = try TempDirectory()
        do { _ = try DataDirectoryLock(directory: dir.path) }
        XCTAssertNoThrow(try DataDirectoryLock(directory: dir.path).release())
    }

    func testAMissingDirectoryIsAClearError() {
        XCTAssertThrowsError(try DataDirectoryLock(directory: "/nonexistent-enclave-os-\(UUID())")) { error in
            guard case .unavailable(let path, _)? = error as? DataDirectoryLock.Failure else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix(DataDirectoryLock.fileName), path)
        }
    }
}
