import EnclaveProtocol
import EnclaveServer
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import XCTest

/// The certificate seam: what the self-signed identity serves, and that the listener asks the
/// provider for every new connection (so a rotating attestation provider plugs in).
final class IdentityTests: XCTestCase {
    /// Counts `currentContext()` calls and hands out a new self-signed identity each time.
    private final class RotatingIdentity: ServerIdentityProvider, Sendable {
        private let issued = Mutex<[[UInt8]]>([])

        var certificates: [[UInt8]] { issued.withLock { $0 } }

        func currentContext() throws -> NIOSSLContext {
            let identity = try SelfSignedIdentity()
            issued.withLock { $0.append(identity.certificateDER) }
            return try identity.currentContext()
        }
    }

    private func servedCertificate(_ client: RawTLSClient) async throws -> [UInt8] {
        let channel = client.channel
        let der = try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).peerCertificate?.toDERBytes()
        }.get()
        return try XCTUnwrap(der)
    }

    func testSelfSignedCertificateIsServedWithLocalhostNames() async throws {
        let identity = try SelfSignedIdentity()
        let server = EnclaveServer(configuration: ServerConfiguration(port: 0), identity: identity)
        let address = try await server.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try await RawTLSClient.connect(to: address, group: group)
        let der = try await servedCertificate(client)
        XCTAssertEqual(der, identity.certificateDER)
        let certificate = try NIOSSLCertificate(bytes: der, format: .der)
        let names = certificate._subjectAlternativeNames().map { name -> String in
            switch name.nameType {
            case .dnsName: return "dns:" + String(decoding: name.contents, as: UTF8.self)
            case .ipAddress: return "ip:" + name.contents.map(String.init).joined(separator: ".")
            default: return "other"
            }
        }
        XCTAssertEqual(Set(names), ["dns:localhost", "ip:127.0.0.1"])
        await client.close()
        await server.shutdown()
        try await group.shutdownGracefully()
    }

    func testProviderIsAskedForEveryConnection() async throws {
        let identity = RotatingIdentity()
        let server = EnclaveServer(configuration: ServerConfiguration(port: 0), identity: identity)
        let address = try await server.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var served: [[UInt8]] = []
        for _ in 0..<3 {
            let client = try await RawTLSClient.connect(to: address, group: group)
            served.append(try await servedCertificate(client))
            let pong = try await client.request(#""Ping""#)
            XCTAssertEqual(pong, .pong)
            await client.close()
        }
        XCTAssertEqual(identity.certificates.count, 3)
        XCTAssertEqual(served, identity.certificates, "each connection must get the provider's current certificate")
        await server.shutdown()
        try await group.shutdownGracefully()
    }
}
