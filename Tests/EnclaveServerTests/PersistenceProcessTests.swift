import EnclaveProtocol
import Foundation
import NIOCore
import NIOPosix
import XCTest

/// The `enclave-os` binary itself: `--data-dir` errors, and a restart of a real process (the
/// one an operator runs) keeps the loaded apps.
final class PersistenceProcessTests: XCTestCase {
    func testBadDataDirIsAClearError() throws {
        let data = try TestDataDirectory()
        let file = data.path + "/not-a-directory"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        var cases = [(file, "it exists but is not a directory"), (file + "/sub", "cannot create it")]
        if geteuid() != 0 {  // root may write anywhere, so the permission case needs another user
            let locked = data.path + "/locked"
            try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o500])
            cases.append((locked, "it is not writable"))
        }
        for (path, expected) in cases {
            let (process, reader) = try EnclaveOSProcess.launch(["--port", "0", "--data-dir", path])
            process.waitUntilExit()
            XCTAssertNotEqual(process.terminationStatus, 0, reader.current)
            // The reader runs on another thread: give it a moment to drain the pipe.
            let deadline = Date().addingTimeInterval(5)
            while !reader.current.contains(expected), Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            XCTAssertTrue(reader.current.contains("data directory '\(path)' is unusable: \(expected)"), reader.current)
            XCTAssertFalse(reader.current.contains("listening on"), reader.current)
        }
    }

    func testARestartedProcessListsTheSameApps() async throws {
        let data = try TestDataDirectory()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let byok = #","encryption_key":"\#(PersistenceSupport.hexKey(0x5C))""#

        let first = try await EnclaveOSProcess.start(dataDirectory: data.path)
        let before: String
        do {
            let client = try await first.connect(group: group)
            try await PersistenceSupport.mustLoad("alpha", on: client)
            try await PersistenceSupport.mustLoad("beta", on: client, extra: byok)
            before = try await client.management(#"{"wasm_list":{}}"#).serializedString
            await client.close()
        } catch {
            first.stop()
            throw error
        }
        first.stop()
        XCTAssertTrue(first.log.contains("sealing key: SIMULATED"), first.log)

        let second = try await EnclaveOSProcess.start(dataDirectory: data.path)
        defer { second.stop() }
        let client = try await second.connect(group: group)
        let after = try await client.management(#"{"wasm_list":{}}"#).serializedString
        await client.close()
        XCTAssertEqual(after, before)
        XCTAssertTrue(after.contains(#""key_source":"generated""#) && after.contains(#""key_source":"byok:"#), after)
        XCTAssertTrue(second.log.contains("restored 2 of 2"), second.log)
        try? await group.shutdownGracefully()
    }
}
