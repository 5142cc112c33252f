import EnclaveProtocol
import NIOCore
import NIOSSL

/// The seam through which the listener gets its TLS identity.
///
/// The listener asks for a context once per accepted connection, never caches it, so a provider
/// that rotates its certificate (RA-TLS: new evidence when apps are loaded or unloaded) takes
/// effect for the very next connection. Swapping the whole `NIOSSLContext` (not just the
/// certificate) matters: NIOSSL contexts issue session tickets, and a resumed session would
/// otherwise keep presenting the old certificate.
public protocol ServerIdentityProvider: Sendable {
    /// The TLS context for a connection that has just been accepted.
    /// - Throws: if no usable identity can be produced; the connection is then closed.
    func currentContext() throws -> NIOSSLContext

    /// The TLS context for a connection whose ClientHello has been read: the listener reads
    /// the ClientHello before TLS starts (``ClientHelloReader``) so a provider can choose a
    /// certificate by SNI or bind one to the client's challenge nonce.
    ///
    /// Called on `eventLoop`; slow work (evidence from a TEE) must run elsewhere and complete
    /// the returned future later. The default ignores the ClientHello and returns
    /// ``currentContext()``.
    func context(for hello: ClientHelloSummary, on eventLoop: EventLoop) -> EventLoopFuture<NIOSSLContext>
}

extension ServerIdentityProvider {
    /// One context for every client: ``currentContext()``.
    public func context(for hello: ClientHelloSummary, on eventLoop: EventLoop) -> EventLoopFuture<NIOSSLContext> {
        eventLoop.makeCompletedFuture { try currentContext() }
    }
}

/// A certificate chain and its private key, turned into a TLS 1.3-only server context.
public struct ServerIdentity: Sendable {
    /// Leaf first, then any intermediates.
    public var certificateChain: [NIOSSLCertificate]
    /// The leaf certificate's private key.
    public var privateKey: NIOSSLPrivateKey

    /// Pairs a chain with its key.
    public init(certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
    }

    /// Builds the server context. TLS 1.3 only (docs/protocol.md §1–2): older versions are refused during the
    /// handshake rather than negotiated down.
    public func makeContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificateChain.map { .certificate($0) },
            privateKey: .privateKey(privateKey)
        )
        configuration.minimumTLSVersion = .tlsv13
        configuration.maximumTLSVersion = .tlsv13
        // Clients of the original offer its RA-TLS id or plain HTTP/1.1; both reach the same
        // listener, which tells frames from HTTP by the first bytes (a client offering neither
        // is served without ALPN).
        configuration.applicationProtocols = HTTPWire.alpnProtocols
        return try NIOSSLContext(configuration: configuration)
    }
}
