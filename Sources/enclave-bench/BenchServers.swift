import Components
import Egress
import EnclaveServer
import Foundation
import SealedStore

/// The servers the benchmark starts: both are the real `EnclaveServer` with its TLS 1.3 listener
/// and RA-TLS certificates (simulated attestation, deterministic mode) on a free port, over a
/// sealed SQLite store in a temporary data directory that is deleted afterwards.
enum BenchServers {
    /// A fresh, empty temporary data directory.
    static func makeDataDirectory(_ label: String) throws -> String {
        let path = NSTemporaryDirectory() + "enclave-bench-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The configuration `enclave-os` runs with by default (one event loop per core, 8 call
    /// threads), on port 0 and the given data directory; start-up lines go to `log`.
    static func configuration(dataDirectory: String, log: @escaping @Sendable (String) -> Void) -> ServerConfiguration {
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0,
                                                eventLoopThreads: ProcessInfo.processInfo.activeProcessorCount)
        configuration.dataDirectory = dataDirectory
        configuration.log = log
        return configuration
    }

    /// How a server of the benchmark joins a cluster (nil: its own SQLite file).
    struct ClusterSpec {
        var store: String
        var clusterPort = 0
        var join: String?
    }

    /// Starts a server in this process (apps' HTTPS egress through `egress`, none by default;
    /// calls under `limits`) and returns it with its port; with `store`, a cluster node over that
    /// PostgreSQL database (the first node: it creates the cluster key).
    static func startInProcess(dataDirectory: String, store: String? = nil, egress: HTTPSEgress? = nil,
                               limits: ExecutionLimits = .default) async throws -> (EnclaveServer, Int) {
        let server = try makeServer(dataDirectory: dataDirectory, cluster: store.map { ClusterSpec(store: $0) },
                                    egress: egress, limits: limits, log: { _ in })
        let address = try await server.start()
        guard let port = address.port else { throw BenchError("the in-process server reported no port") }
        return (server, port)
    }

    /// A server with simulated attestation, as `enclave-os` would run it.
    static func makeServer(dataDirectory: String, cluster: ClusterSpec?, egress: HTTPSEgress? = nil,
                           limits: ExecutionLimits = .default, inlineCallLimit: Int? = nil, eventLoopThreads: Int? = nil,
                           log: @escaping @Sendable (String) -> Void) throws -> EnclaveServer {
        var configuration = configuration(dataDirectory: dataDirectory, log: log)
        if let eventLoopThreads { configuration.eventLoopThreads = eventLoopThreads }
        if let inlineCallLimit { configuration.inlineCallLimit = .microseconds(inlineCallLimit) }
        configuration.egress = egress
        configuration.defaultFuel = limits.fuel
        configuration.maxMemoryBytes = limits.maxMemoryBytes
        let registry = AppRegistry()
        let identity = try AttestationSetup(providerName: "simulated").makeIdentity(registry: registry, log: log)
        if let cluster {
            configuration.cluster = ClusterConfiguration(
                store: try PostgresURL(parsing: cluster.store), join: try cluster.join.map { try ClusterConfiguration.Peer(parsing: $0) },
                listenHost: "127.0.0.1", listenPort: cluster.clusterPort, syncInterval: 0.2, identity: identity)
        }
        return EnclaveServer(configuration: configuration, identity: identity, registry: registry)
    }
}

/// The server as a child process (this executable re-run with `--serve`), so that its RSS is its
/// own and the client's work is not counted in it.
final class ServerProcess {
    let process: Process
    let port: Int
    let dataDirectory: String

    private init(process: Process, port: Int, dataDirectory: String) {
        self.process = process
        self.port = port
        self.dataDirectory = dataDirectory
    }

    var pid: Int32 { process.processIdentifier }

    /// Launches the child and waits for the line announcing its port; with `cluster`, a cluster
    /// node (its cluster port is `cluster.clusterPort`).
    /// `eventLoopThreads`: nil for one per core, as `enclave-os` runs.
    static func launch(label: String, cluster: BenchServers.ClusterSpec? = nil, inlineCallLimit: Int? = nil,
                       eventLoopThreads: Int? = nil) throws -> ServerProcess {
        let directory = try BenchServers.makeDataDirectory(label)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["--serve", "--data-dir", directory]
        if let inlineCallLimit { process.arguments! += ["--inline-call-limit", String(inlineCallLimit)] }
        if let eventLoopThreads { process.arguments! += ["--event-loop-threads", String(eventLoopThreads)] }
        if let cluster {
            process.arguments! += ["--store", cluster.store, "--cluster-port", String(cluster.clusterPort)]
            if let join = cluster.join { process.arguments! += ["--join", join] }
        }
        let out = Pipe()
        process.standardOutput = out
        // The child's start-up lines (SIMULATED attestation, …) go to a file, not our table.
        _ = FileManager.default.createFile(atPath: directory + ".log", contents: nil)
        process.standardError = FileHandle(forWritingAtPath: directory + ".log")
        try process.run()
        var line = [UInt8]()
        let reader = out.fileHandleForReading
        while true {
            let byte = reader.readData(ofLength: 1)
            guard let first = byte.first else {
                throw BenchError("the server process exited before listening; see \(directory).log")
            }
            if first == UInt8(ascii: "\n") { break }
            line.append(first)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            process.terminate()
            throw BenchError("unexpected line from the server process: \(text)")
        }
        return ServerProcess(process: process, port: port, dataDirectory: directory)
    }

    /// Resident set size of the child now, from /proc (Linux), in bytes.
    func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }

    /// Stops the child (SIGTERM: a graceful shutdown) and deletes its data directory.
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dataDirectory)
        try? FileManager.default.removeItem(atPath: dataDirectory + ".log")
    }
}

/// `enclave-bench --serve --data-dir DIR`: the child side of `ServerProcess`. Prints `PORT n`
/// once listening and serves until SIGTERM.
enum ServeMode {
    static func run(dataDirectory: String, cluster: BenchServers.ClusterSpec?, inlineCallLimit: Int?,
                    eventLoopThreads: Int?) async throws {
        let log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data("\($0)\n".utf8)) }
        let server = try BenchServers.makeServer(dataDirectory: dataDirectory, cluster: cluster, inlineCallLimit: inlineCallLimit,
                                                 eventLoopThreads: eventLoopThreads, log: log)
        let address = try await server.start()
        FileHandle.standardOutput.write(Data("PORT \(address.port ?? 0)\n".utf8))
        signal(SIGTERM, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        source.setEventHandler { Task { await server.shutdown() } }
        source.resume()
        await server.waitUntilClosed()
        source.cancel()
    }
}

/// A failure that ends one measurement group with its reason.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
