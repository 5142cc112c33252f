import EnclaveClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Calls per second of the reference app through HAProxy (deploy/haproxy/haproxy.cfg) to one
/// cluster node, then to three, all over one private PostgreSQL, all on this machine: the nodes,
/// HAProxy, PostgreSQL and the load generator share its cores.
enum ClusterBench {
    static let connections = 12

    static func run(_ options: Options, report: Report) async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/haproxy") else {
            report.add(.notAvailable(13, "calls/s through HAProxy", reason: "haproxy is not installed (apt-get install haproxy)"))
            return
        }
        let postgres = try PrivatePostgresProcess.start(options)
        defer { postgres.stop() }
        let first = try node(options, "cluster-1", store: postgres.url, join: nil)
        defer { first.process.stop() }
        let single = try await measure(options, nodes: [first], label: "1 node")
        let second = try node(options, "cluster-2", store: postgres.url, join: first.clusterPort)
        defer { second.process.stop() }
        let third = try node(options, "cluster-3", store: postgres.url, join: first.clusterPort)
        defer { third.process.stop() }
        let triple = try await measure(options, nodes: [first, second, third], label: "3 nodes")
        report.add(Row(item: 13, metric: "reference app `hello` through HAProxy to 1 node (\(connections) connections, pipelined)",
                       figure: "\(Format.number(single)) calls/s", target: "—", met: nil))
        report.add(Row(item: 13, metric: "reference app `hello` through HAProxy to 3 nodes (same load)",
                       figure: "\(Format.number(triple)) calls/s", target: "—", met: nil))
        report.add(Row(item: 13, metric: "cluster scaling factor (3 nodes / 1 node)",
                       figure: "\(Format.number(triple / single))×", target: "reported", met: nil))
        report.note("Cluster rows: \(ProcessInfo.processInfo.activeProcessorCount) cores shared by every node, HAProxy, PostgreSQL and the "
            + "load generator, so three nodes cannot add CPU: the factor shows the overhead of spreading the same cores over more "
            + "processes, not what three machines would serve. On separate machines each node brings its own cores; the shared parts "
            + "are HAProxy (L4, no TLS) and PostgreSQL (only calls that touch the store).")
    }

    private struct Node {
        let process: ServerProcess
        let clusterPort: Int
    }

    private static func node(_ options: Options, _ label: String, store: String, join: Int?) throws -> Node {
        let clusterPort = try freePort()
        let process = try ServerProcess.launch(label: label, cluster: BenchServers.ClusterSpec(
            store: store, clusterPort: clusterPort, join: join.map { "https://127.0.0.1:\($0)" }))
        return Node(process: process, clusterPort: clusterPort)
    }

    /// Loads the reference app through HAProxy (once), waits until every node serves it, and
    /// measures calls/s over `connections` pipelined connections through HAProxy.
    private static func measure(_ options: Options, nodes: [Node], label: String) async throws -> Double {
        let proxy = try HAProxyProcess.start(options, nodePorts: nodes.map(\.process.port))
        defer { proxy.stop() }
        let connection = try await EnclaveConnection.connect(port: proxy.port)
        let listing = try await connection.management(ManagementMessages.list())
        if !(listing.serializedString.contains("\"name\":\"app\"")) {
            try await ServerSideCalls.load(connection, name: "app", bytes: try options.bytes(Guests.referenceApp))
        }
        await connection.close()
        // Every node serves it once a direct connection can call it.
        for node in nodes {
            let deadline = Date().addingTimeInterval(10)
            while true {
                let direct = try await EnclaveConnection.connect(port: node.process.port)
                let answer = try await direct.management(ManagementMessages.call(app: "app", function: "hello", params: []))
                await direct.close()
                if answer["status"]?.stringValue == "ok" { break }
                guard Date() < deadline else { throw BenchError("node on port \(node.process.port) does not serve the app") }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
        }
        progress("  \(label): measuring through HAProxy on port \(proxy.port)")
        let (rate, failures, _) = try await NetworkBench.measureThroughput(
            port: proxy.port, context: try PipelinedConnection.makeContext(), group: PipelinedConnection.clientGroup,
            payload: NetworkBench.callPayload(app: "app", function: "hello"), connections: connections,
            seconds: options.quick ? 1 : 4)
        guard failures == 0 else { throw BenchError("\(failures) calls failed through HAProxy (\(label))") }
        return rate
    }

    static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: PipelinedConnection.clientGroup).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        guard let port = channel.localAddress?.port else { throw BenchError("no free port") }
        return port
    }
}

/// HAProxy with the shipped configuration; node N of the config is `nodePorts[N-1]`, and missing
/// nodes repeat the first (one node behind three server lines is still one node).
struct HAProxyProcess {
    let process: Process
    let port: Int

    static func start(_ options: Options, nodePorts: [Int]) throws -> HAProxyProcess {
        let port = try ClusterBench.freePort()
        var environment = ProcessInfo.processInfo.environment
        environment["ENCLAVEOS_BIND"] = "127.0.0.1:\(port)"
        environment["ENCLAVEOS_DOMAIN"] = "cluster.bench"
        for index in 1...3 {
            environment["ENCLAVEOS_NODE\(index)"] = "127.0.0.1:\(nodePorts[(index - 1) % nodePorts.count])"
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/haproxy")
        process.arguments = ["-db", "-f", options.path("deploy/haproxy/haproxy.cfg")]
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let proxy = HAProxyProcess(process: process, port: port)
        // Up once it accepts connections and its first health checks have run.
        for _ in 0..<100 {
            if let channel = try? ClientBootstrap(group: PipelinedConnection.clientGroup).connect(host: "127.0.0.1", port: port).wait() {
                try? channel.close().wait()
                Thread.sleep(forTimeInterval: 1.5)
                return proxy
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        proxy.stop()
        throw BenchError("haproxy did not start listening on \(port)")
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
