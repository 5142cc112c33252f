import Foundation
import XCTest
@testable import SealedStore
#if canImport(Glibc)
import Glibc
#endif

/// A child process (this test binary, re-run on one test) writes in a loop and is killed with
/// SIGKILL; the parent reopens the file and checks that every committed write survived, that
/// batches are all-or-nothing, and that nothing reads back corrupt.
final class CrashSafetyTests: XCTestCase {
    static let childDirectoryVariable = "SEALEDSTORE_CRASH_CHILD_DIR"
    /// Each round's child starts counting here, so iterations grow across rounds.
    static let childStartVariable = "SEALEDSTORE_CRASH_CHILD_START"
    static let keyCount = 16
    static let appKeyHex = String(repeating: "3c", count: 32)

    /// The child's work: write forever until killed. After each commit, record
    /// "<key> <iteration>" in a progress file, so the parent knows the newest iteration that was
    /// acknowledged as committed.
    private func childWriterLoop(directory: String) throws -> Never {
        let store = try SealedStore.open(dataDirectory: directory)
        let kv = try store.kv(appName: "crash", key: AppKey.fromHex(Self.appKeyHex))
        let progress = open((directory as NSString).appendingPathComponent("progress"),
                            O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard progress >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: directory + "/progress"]) }
        var iteration = Int(ProcessInfo.processInfo.environment[Self.childStartVariable] ?? "") ?? 0
        while true {
            iteration += 1
            let slot = iteration % Self.keyCount
            // Sizes vary so pages split and overflow pages get rewritten.
            let filler = [UInt8](repeating: UInt8(truncatingIfNeeded: iteration), count: (iteration * 997) % 9000)
            try kv.apply([
                .put(key: bytes("a\(slot)"), value: bytes("\(iteration)|") + filler),
                .put(key: bytes("b\(slot)"), value: bytes("\(iteration)|")),
            ])
            let line = bytes("\(slot) \(iteration)\n")
            _ = line.withUnsafeBytes { write(progress, $0.baseAddress, $0.count) }
        }
    }

    func testKillNineMidWriteLosesAtMostTheWriteInFlight() throws {
        // The child is this test binary re-running this test with the directory in its
        // environment: it only writes, until the parent kills it.
        if let directory = ProcessInfo.processInfo.environment[Self.childDirectoryVariable] {
            try childWriterLoop(directory: directory)
        }
        let dir = try TempDirectory("crash")
        for round in 0..<3 {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
            child.arguments = ["SealedStoreTests.CrashSafetyTests/testKillNineMidWriteLosesAtMostTheWriteInFlight"]
            var environment = ProcessInfo.processInfo.environment
            environment[Self.childDirectoryVariable] = dir.path
            environment[Self.childStartVariable] = String(round * 1_000_000)
            child.environment = environment
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            // Let it commit for a while, then kill it at an arbitrary point.
            let progressPath = dir.file("progress")
            let deadline = Date().addingTimeInterval(20)
            var lines = 0
            repeat {
                usleep(50_000)
                lines = (try? String(contentsOfFile: progressPath, encoding: .utf8))?.split(separator: "\n").count ?? 0
            } while lines < 60 * (round + 1) && Date() < deadline && child.isRunning
            usleep(useconds_t(Int.random(in: 0..<20_000)))
            XCTAssertTrue(child.isRunning, "child exited early (status \(child.terminationStatus))")
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            XCTAssertEqual(child.terminationReason, .uncaughtSignal)

            // Newest acknowledged iteration per slot.
            var acknowledged: [Int: Int] = [:]
            let progress = (try? String(contentsOfFile: progressPath, encoding: .utf8)) ?? ""
            for line in progress.split(separator: "\n") {
                let parts = line.split(separator: " ").compactMap { Int($0) }
                if parts.count == 2 { acknowledged[parts[0]] = max(acknowledged[parts[0]] ?? 0, parts[1]) }
            }
            XCTAssertGreaterThan(acknowledged.count, 0, "round \(round): the child committed nothing")

            let store = try SealedStore.open(dataDirectory: dir.path)
            let kv = try store.kv(appName: "crash", key: AppKey.fromHex(Self.appKeyHex))
            for slot in 0..<Self.keyCount {
                let a = try kv.get("a\(slot)"), b = try kv.get("b\(slot)")
                XCTAssertEqual(a == nil, b == nil, "slot \(slot): batch torn")
                guard let a, let b else {
                    XCTAssertNil(acknowledged[slot], "slot \(slot): acknowledged write lost")
                    continue
                }
                let iterationA = Int(String(decoding: a.prefix { $0 != UInt8(ascii: "|") }, as: UTF8.self)) ?? -1
                let iterationB = Int(String(decoding: b.dropLast(), as: UTF8.self)) ?? -2
                XCTAssertEqual(iterationA, iterationB, "slot \(slot): batch torn")
                XCTAssertGreaterThanOrEqual(iterationA, acknowledged[slot] ?? 0, "round \(round) slot \(slot): acknowledged write lost")
                let filler = a.drop { $0 != UInt8(ascii: "|") }.dropFirst()
                XCTAssertEqual(filler.count, (iterationA * 997) % 9000, "slot \(slot): value length")
                XCTAssertTrue(filler.allSatisfy { $0 == UInt8(truncatingIfNeeded: iterationA) }, "slot \(slot): value bytes")
            }
            XCTAssertEqual(try kv.keys(withPrefix: "").count, 2 * Set(acknowledged.keys).count)
            let check = try SQLiteDatabase(path: dir.file(SealedStore.databaseFileName))
            XCTAssertEqual(try check.scalarText("PRAGMA integrity_check"), "ok")
            check.close()
        }
    }
}
