import Foundation
import Synchronization
import NIOCore
import NIOPosix

/// A real `enclave-os` child process (the binary an operator runs), for tests that must kill or
/// restart it: started on a kernel-chosen port, its stderr collected.
final class EnclaveOSProcess: Sendable {
    enum Failure: Error, CustomStringConvertible {
        case noBinary([String])
        case didNotStart(String)
        var description: String {
            switch self {
            case .noBinary(let paths): return "enclave-os is not built next to the tests (looked at \(paths)); run swift build --build-tests"
            case .didNotStart(let log): return "enclave-os did not report a listening port within 60 s; its log:\n\(log)"
            }
        }
    }

    let process: Process
    let port: Int
    private let stderr: Collector

    /// The child's standard error so far.
    var log: String { stderr.current }

    /// `enclave-os`, built next to the test bundle by `swift build --build-tests`.
    static func binary() throws -> URL {
        let candidates = [
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
        ].map { $0.appendingPathComponent("enclave-os") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw Failure.noBinary(candidates.map(\.path))
        }
        return found
    }

    /// Launches `enclave-os` with `arguments` without waiting for it to listen.
    static func launch(_ arguments: [String]) throws -> (Process, Collector) {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        let collector = Collector(pipe)
        try process.run()
        return (process, collector)
    }

    /// Starts a server on `dataDirectory` (with further `arguments`) and waits for its
    /// "listening on" line.
    static func start(dataDirectory: String, arguments: [String] = []) async throws -> EnclaveOSProcess {
        let (process, collector) = try launch(["--host", "127.0.0.1", "--port", "0", "--data-dir", dataDirectory] + arguments)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let log = collector.current
            if let range = log.range(of: "listening on 127.0.0.1:") {
                let digits = log[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), log[range.upperBound...].dropFirst(digits.count).first == " " {
                    return EnclaveOSProcess(process: process, port: port, stderr: collector)
                }
            }
            guard process.isRunning else { break }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        process.terminate()
        throw Failure.didNotStart(collector.current)
    }

    private init(process: Process, port: Int, stderr: Collector) {
        self.process = process
        self.port = port
        self.stderr = stderr
    }

    /// A TLS client of this server.
    func connect(group: EventLoopGroup) async throws -> RawTLSClient {
        try await RawTLSClient.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: port), group: group)
    }

    /// The resident set size of the process in bytes (Linux: `VmRSS` of /proc/PID/status).
    var residentBytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    /// SIGKILL: no shutdown code runs, as in a power cut of the process.
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM (graceful shutdown), then waits.
    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// Collects a child's standard error on a background thread.
    final class Collector: Sendable {
        private let text = Mutex("")
        init(_ pipe: Pipe) {
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let chunk = handle.availableData
                guard let self, !chunk.isEmpty else { handle.readabilityHandler = nil; return }
                self.text.withLock { $0 += String(decoding: chunk, as: UTF8.self) }
            }
        }
        var current: String { text.withLock { $0 } }
    }
}
