import EnclaveProtocol
import Foundation
import NIOCore
import NIOPosix
import XCTest

/// The `enclave-os` binary itself: `--data-dir` errors, and a restart of a real process (the
/// one an operator runs) keeps the loaded apps.
final class PersistenceProcessTests: XCTestCase {
    /// `enclave-os`, built next to the test bundle by `swift build --build-tests` / `swift test`.
    private func serverBinary() throws -> URL {
        let candidates = [
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
        ].map { $0.appendingPathComponent("enclave-os") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw ProcessTestError.noBinary(candidates.map(\.path))
        }
        return found
    }

    private enum ProcessTestError: Error, CustomStringConvertible {
        case noBinary([String])
        case didNotStart(String)
        var description: String {
            switch self {
            case .noBinary(let paths): return "enclave-os is not built next to the tests (looked at \(paths)); run swift build --build-tests"
            case .didNotStart(let log): return "enclave-os did not report a listening port within 60 s; its log:\n\(log)"
            }
        }
    }

    /// A started `enclave-os` and the port it reported.
    private struct RunningServer {
        let process: Process
        let port: Int
        let stderr: StderrReader
    }

    /// Collects a child's standard error on a background thread.
    private final class StderrReader: @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        init(_ pipe: Pipe) {
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let chunk = handle.availableData
                guard let self, !chunk.isEmpty else { handle.readabilityHandler = nil; return }
                self.lock.lock()
                self.text += String(decoding: chunk, as: UTF8.self)
                self.lock.unlock()
            }
        }
        var current: String {
            lock.lock()
            defer { lock.unlock() }
            return text
        }
    }

    private func launch(_ arguments: [String]) throws -> (Process, StderrReader) {
        let process = Process()
        process.executableURL = try serverBinary()
        process.arguments = arguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        let reader = StderrReader(pipe)
        try process.run()
        return (process, reader)
    }

    /// Starts the server on a kernel-chosen port and waits for its "listening on" line.
    private func startServer(dataDirectory: String) async throws -> RunningServer {
        let (process, reader) = try launch(["--host", "127.0.0.1", "--port", "0", "--data-dir", dataDirectory])
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let log = reader.current
            if let range = log.range(of: "listening on 127.0.0.1:") {
                let digits = log[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), log[range.upperBound...].dropFirst(digits.count).first == " " {
                    return RunningServer(process: process, port: port, stderr: reader)
                }
            }
            guard process.isRunning else { break }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        process.terminate()
        throw ProcessTestError.didNotStart(reader.current)
    }

    private func stop(_ server: RunningServer) {
        server.process.terminate()  // SIGTERM: graceful shutdown
        server.process.waitUntilExit()
    }

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
            let (process, reader) = try launch(["--port", "0", "--data-dir", path])
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

        let first = try await startServer(dataDirectory: data.path)
        let before: String
        do {
            let client = try await RawTLSClient.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: first.port), group: group)
            try await PersistenceSupport.mustLoad("alpha", on: client)
            try await PersistenceSupport.mustLoad("beta", on: client, extra: byok)
            before = try await client.management(#"{"wasm_list":{}}"#).serializedString
            await client.close()
        } catch {
            stop(first)
            throw error
        }
        stop(first)
        XCTAssertTrue(first.stderr.current.contains("sealing key: SIMULATED"), first.stderr.current)

        let second = try await startServer(dataDirectory: data.path)
        defer { stop(second) }
        let client = try await RawTLSClient.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: second.port), group: group)
        let after = try await client.management(#"{"wasm_list":{}}"#).serializedString
        await client.close()
        XCTAssertEqual(after, before)
        XCTAssertTrue(after.contains(#""key_source":"generated""#) && after.contains(#""key_source":"byok:"#), after)
        XCTAssertTrue(second.stderr.current.contains("restored 2 of 2"), second.stderr.current)
        try? await group.shutdownGracefully()
    }
}
