import EnclaveProtocol
import EnclaveServer
import NIOCore
import NIOPosix
import XCTest

/// A running server on 127.0.0.1 with a kernel-chosen port, and a client event loop group.
final class ServerHarness: @unchecked Sendable {
    static let operatorToken = "test-operator-token-5f1c"

    let server: EnclaveServer
    let address: SocketAddress
    let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    private init(server: EnclaveServer, address: SocketAddress) {
        self.server = server
        self.address = address
    }

    /// Starts a server; `configure` adjusts the defaults (port 0, an operator token).
    static func start(_ configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> ServerHarness {
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, operatorToken: operatorToken)
        configure(&configuration)
        let server = EnclaveServer(configuration: configuration, identity: try SelfSignedIdentity())
        let address = try await server.start()
        return ServerHarness(server: server, address: address)
    }

    /// A new TLS connection to the server.
    func connect() async throws -> RawTLSClient {
        try await RawTLSClient.connect(to: address, group: clientGroup)
    }

    /// Stops the server and the client threads.
    func stop() async {
        await server.shutdown()
        try? await clientGroup.shutdownGracefully()
    }
}

extension Response {
    /// The error text, if this is an `Error` response.
    var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }
}
