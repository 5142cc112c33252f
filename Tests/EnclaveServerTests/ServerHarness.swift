import EnclaveProtocol
import EnclaveServer
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import XCTest

/// A running server on 127.0.0.1 with a kernel-chosen port, and a client event loop group.
final class ServerHarness: Sendable {
    static let operatorToken = "test-operator-token-5f1c"

    let server: EnclaveServer
    let address: SocketAddress
    let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    /// The server's start-up log lines (kept out of the test output).
    let log: LogCapture
    /// The temp data directory this harness created, removed by `stop()`; nil when the caller
    /// passed its own (a restart test reuses it) or configured none.
    private let ownedDataDirectory: String?

    private init(server: EnclaveServer, address: SocketAddress, log: LogCapture, ownedDataDirectory: String?) {
        self.server = server
        self.address = address
        self.log = log
        self.ownedDataDirectory = ownedDataDirectory
    }

    /// Starts a server; `configure` adjusts the defaults (loopback, port 0, no operators — so
    /// management is open, as for the local demo —, a fresh temp data directory unless
    /// `dataDirectory` names one to reuse). Tests of operator authorization set `operatorToken`.
    static func start(dataDirectory: String? = nil,
                      _ configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> ServerHarness {
        let owned = dataDirectory == nil ? try makeTempDirectory() : nil
        let log = LogCapture()
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, operatorToken: nil)
        configuration.dataDirectory = dataDirectory ?? owned
        configuration.log = { log.append($0) }
        configure(&configuration)
        let server = EnclaveServer(configuration: configuration, identity: try SelfSignedIdentity())
        do {
            let address = try await server.start()
            return ServerHarness(server: server, address: address, log: log, ownedDataDirectory: owned)
        } catch {
            if let owned { try? FileManager.default.removeItem(atPath: owned) }
            throw error
        }
    }

    /// A new empty directory under the system temp directory (mode 0700).
    static func makeTempDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("enclaveos-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        return path
    }

    /// A new TLS connection to the server.
    func connect() async throws -> RawTLSClient {
        try await RawTLSClient.connect(to: address, group: clientGroup)
    }

    /// Stops the server and the client threads.
    func stop() async {
        await server.shutdown()
        try? await clientGroup.shutdownGracefully()
        if let ownedDataDirectory { try? FileManager.default.removeItem(atPath: ownedDataDirectory) }
    }
}

/// Collects log lines from any thread.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    /// Records one line.
    func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    /// Everything recorded so far.
    var all: [String] { lines.withLock { $0 } }
}

extension Response {
    /// The error text, if this is an `Error` response.
    var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }
}
