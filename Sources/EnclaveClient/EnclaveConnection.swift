import EnclaveProtocol
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A TLS 1.3 connection to an EnclaveOS server, speaking the length-prefixed JSON frames or
/// HTTP/1.1 (``WireProtocol``); requests and responses are the frame protocol's either way.
///
/// The API is blocking (SwiftNIO runs underneath), which suits command-line tools: never call
/// it from an event-loop thread. Async overloads exist for use from Swift concurrency. Requests
/// may be sent from several threads; responses are matched to requests in order.
///
/// - Important: the server certificate is verified only with `verification: .attested(…)`
///   (see ``TLSVerification``).
public final class EnclaveConnection: @unchecked Sendable {
    // @unchecked: all mutable state lives in the handler, confined to the channel's event loop.

    /// The host this connection was opened to.
    public let host: String
    /// The TCP port this connection was opened to.
    public let port: Int
    /// How long to wait for each response before closing the connection; nil waits forever.
    public let responseTimeout: TimeAmount?

    /// The protocol this connection speaks.
    public let wireProtocol: WireProtocol
    private let channel: Channel
    private let handler: NIOLoopBound<any ResponseMatcher>

    private init(host: String, port: Int, wireProtocol: WireProtocol, responseTimeout: TimeAmount?, channel: Channel,
                 handler: NIOLoopBound<any ResponseMatcher>) {
        self.wireProtocol = wireProtocol
        self.host = host
        self.port = port
        self.responseTimeout = responseTimeout
        self.channel = channel
        self.handler = handler
    }

    /// Opens a connection and completes the TLS handshake.
    /// - Parameters:
    ///   - host: a host name or IP address.
    ///   - port: the server's port (EnclaveOS listens on 8443 by default).
    ///   - serverName: the SNI to send (an app's hostname selects its per-app certificate);
    ///     defaults to `host` unless it is an IP address (SNI cannot carry IP addresses).
    ///   - verification: how to check the certificate (`.attested(…)` refuses an unverified server).
    ///   - wireProtocol: frames or HTTP/1.1; the server serves both on one port.
    ///   - connectTimeout: limit for TCP connect plus TLS handshake.
    ///   - responseTimeout: limit per response (a call may legitimately run ~30 s server-side).
    ///   - group: the event loop group to use; defaults to NIO's shared singleton.
    /// - Throws: ``EnclaveClientError`` naming `host:port` when the server cannot be reached.
    public static func connect(
        host: String = "127.0.0.1",
        port: Int = 8443,
        serverName: String? = nil,
        verification: TLSVerification = .noVerification,
        protocol wireProtocol: WireProtocol = .frames,
        connectTimeout: TimeAmount = .seconds(10),
        responseTimeout: TimeAmount? = .seconds(300),
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws -> EnclaveConnection {
        try makeConnection(host: host, port: port, serverName: serverName, verification: verification, wireProtocol: wireProtocol,
                           connectTimeout: connectTimeout, responseTimeout: responseTimeout, group: group).wait()
    }

    /// Async variant of ``connect(host:port:serverName:verification:protocol:connectTimeout:responseTimeout:group:)``.
    public static func connect(
        host: String = "127.0.0.1",
        port: Int = 8443,
        serverName: String? = nil,
        verification: TLSVerification = .noVerification,
        protocol wireProtocol: WireProtocol = .frames,
        connectTimeout: TimeAmount = .seconds(10),
        responseTimeout: TimeAmount? = .seconds(300),
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> EnclaveConnection {
        try await makeConnection(host: host, port: port, serverName: serverName, verification: verification, wireProtocol: wireProtocol,
                                 connectTimeout: connectTimeout, responseTimeout: responseTimeout, group: group).get()
    }

    private static func makeConnection(
        host: String, port: Int, serverName: String?, verification: TLSVerification, wireProtocol: WireProtocol,
        connectTimeout: TimeAmount, responseTimeout: TimeAmount?, group: EventLoopGroup
    ) -> EventLoopFuture<EnclaveConnection> {
        let eventLoop = group.next()
        guard (0...65535).contains(port) else {
            return eventLoop.makeFailedFuture(EnclaveClientError.invalidArgument("port \(port) is out of range 0-65535"))
        }
        let sslContext: NIOSSLContext
        do {
            var configuration = tlsConfiguration(for: verification)
            configuration.applicationProtocols = wireProtocol.alpn
            sslContext = try NIOSSLContext(configuration: configuration)
        } catch {
            return eventLoop.makeFailedFuture(EnclaveClientError.tlsHandshakeFailed(host: host, port: port, reason: "\(error)"))
        }
        let sni = serverName ?? (isIPAddress(host) ? nil : host)
        let handshake = eventLoop.makePromise(of: Void.self)
        let closed = EnclaveClientError.connectionClosed(host: host, port: port)

        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                do {
                    let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: sni)
                    try channel.pipeline.syncOperations.addHandler(tls)
                    switch wireProtocol {
                    case .frames:
                        try channel.pipeline.syncOperations.addHandlers(
                            ByteToMessageHandler(FrameCodec.Decoder(maxPayload: Frame.maxPayload)),
                            FrameChannelHandler(handshake: handshake, closedError: closed))
                    case .http:
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPFrameAdapter(handshake: handshake, closedError: closed, authority: "\(sni ?? host):\(port)"))
                    }
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }

        let timeout = eventLoop.scheduleTask(in: connectTimeout) {
            handshake.fail(EnclaveClientError.tlsHandshakeFailed(host: host, port: port, reason: "timed out"))
        }
        return bootstrap.connect(host: host, port: port)
            .flatMapErrorThrowing { error in
                handshake.fail(error)
                throw EnclaveClientError.connectionFailed(host: host, port: port, reason: describeConnectError(error))
            }
            .flatMap { channel in
                handshake.futureResult.flatMapError { error in
                    channel.close(promise: nil)
                    let reason = (error as? EnclaveClientError).map { "\($0)" } ?? "\(error)"
                    if case EnclaveClientError.tlsHandshakeFailed = error { return channel.eventLoop.makeFailedFuture(error) }
                    return channel.eventLoop.makeFailedFuture(EnclaveClientError.tlsHandshakeFailed(host: host, port: port, reason: reason))
                }
                .flatMapThrowing { _ -> [UInt8]? in
                    try channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).peerCertificate?.toDERBytes()
                }
                .flatMap { peer -> EventLoopFuture<Void> in
                    // RA-TLS: check the attested certificate before a single request is sent, off the
                    // event loop (collateral files are read, an attestation server may be asked).
                    NIOThreadPool.singleton.runIfActive(eventLoop: channel.eventLoop) {
                        try verification.check(peerCertificateDER: peer)
                    }.map { _ in }
                }
                .flatMapErrorThrowing { error in
                    channel.close(promise: nil)
                    throw error
                }
                .flatMapThrowing { _ -> EnclaveConnection in
                    let handler: any ResponseMatcher
                    switch wireProtocol {
                    case .frames: handler = try channel.pipeline.syncOperations.handler(type: FrameChannelHandler.self)
                    case .http: handler = try channel.pipeline.syncOperations.handler(type: HTTPFrameAdapter.self)
                    }
                    return EnclaveConnection(host: host, port: port, wireProtocol: wireProtocol, responseTimeout: responseTimeout,
                                             channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }
            }
            .always { _ in timeout.cancel() }
    }

    /// The NIOSSL configuration: TLS 1.3 only, as the protocol requires.
    static func tlsConfiguration(for verification: TLSVerification) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        // No CA vouches for an RA-TLS certificate: `.attested` checks its evidence after the
        // handshake (``TLSVerification/check(peerCertificateDER:)``), so NIOSSL's own chain
        // check is off in both modes.
        configuration.certificateVerification = .none
        return configuration
    }

    /// Sends one raw frame payload and returns the raw response payload. Useful for protocol
    /// tests (e.g. deliberately malformed JSON); most callers want ``send(request:)``.
    /// A chunked response comes back as one base64 `Data` payload holding the whole document.
    public func sendRaw(_ payload: [UInt8]) throws -> [UInt8] {
        Self.rawPayload(try rawFuture(payload).wait())
    }

    /// Async variant of ``sendRaw(_:)``.
    public func sendRaw(_ payload: [UInt8]) async throws -> [UInt8] {
        Self.rawPayload(try await rawFuture(payload).get())
    }

    /// Sends an outer request and returns the decoded outer response (a chunked response comes
    /// back reassembled, as `Data`). `bytesAs` chooses how `Data` bytes are written: the server
    /// answers in the same form.
    public func send(request: Request, bytesAs encoding: ByteEncoding = .integerArray) throws -> Response {
        try Self.decodeResponse(try rawFuture(request.encoded(bytesAs: encoding)).wait())
    }

    /// Async variant of ``send(request:bytesAs:)``.
    public func send(request: Request, bytesAs encoding: ByteEncoding = .integerArray) async throws -> Response {
        try Self.decodeResponse(try await rawFuture(request.encoded(bytesAs: encoding)).get())
    }

    /// Sends `request` without waiting: the future completes with its decoded response. Lets a
    /// caller keep several requests in flight (the streamed load does).
    func sendPipelined(request: Request, bytesAs encoding: ByteEncoding) -> EventLoopFuture<Response> {
        rawFuture(request.encoded(bytesAs: encoding)).flatMapThrowing { try Self.decodeResponse($0) }
    }

    /// Closes the connection. Outstanding requests fail with `connectionClosed`.
    public func close() {
        try? channel.close().wait()
    }

    /// Async variant of ``close()``.
    public func close() async {
        try? await channel.close().get()
    }

    deinit {
        channel.close(promise: nil)
    }

    private func rawFuture(_ payload: [UInt8]) -> EventLoopFuture<ReceivedResponse> {
        let eventLoop = channel.eventLoop
        guard payload.count <= Frame.maxPayload else {
            return eventLoop.makeFailedFuture(EnclaveClientError.invalidArgument(
                "request of \(payload.count) bytes exceeds the \(Frame.maxPayload)-byte frame limit"))
        }
        let response = eventLoop.makePromise(of: ReceivedResponse.self)
        channel.writeAndFlush(PendingRequest(payload: payload, response: response)).whenFailure { error in
            response.fail(error)  // no-op if the handler already failed it
        }
        if let responseTimeout {
            let handler = self.handler
            let error = EnclaveClientError.timedOut(host: host, port: port, seconds: Double(responseTimeout.nanoseconds) / 1e9)
            let task = eventLoop.scheduleTask(in: responseTimeout) { handler.value.abort(with: error) }
            response.futureResult.whenComplete { _ in task.cancel() }
        }
        return response.futureResult
    }

    static func rawPayload(_ received: ReceivedResponse) -> [UInt8] {
        switch received {
        case .frame(let payload): return payload
        case .assembled(let document): return Response.data(document).encoded(bytesAs: .base64)
        }
    }

    static func decodeResponse(_ received: ReceivedResponse) throws -> Response {
        switch received {
        case .assembled(let document): return .data(document)
        case .frame(let payload): return try decodeResponse(payload)
        }
    }

    static func decodeResponse(_ payload: [UInt8]) throws -> Response {
        guard let response = Response.decode(payload) else {
            let preview = String(decoding: payload.prefix(200), as: UTF8.self)
            throw EnclaveClientError.malformedResponse("not a Pong/Ok/Data/Error envelope: \(preview)")
        }
        return response
    }

    private static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    /// A short reason for a failed connect ("connection refused"), not NIO's nested dump.
    static func describeConnectError(_ error: Error) -> String {
        if let connectError = error as? NIOConnectionError {
            if connectError.dnsAAAAError != nil && connectError.dnsAError != nil && connectError.connectionErrors.isEmpty {
                return "cannot resolve host name"
            }
            if let first = connectError.connectionErrors.first { return describeConnectError(first.error) }
            return "no address to connect to"
        }
        if let ioError = error as? IOError {
            switch ioError.errnoCode {
            case 111: return "connection refused"  // ECONNREFUSED (Linux)
            case 61: return "connection refused"  // ECONNREFUSED (Darwin)
            case 110, 60: return "connection timed out"
            case 113, 65: return "no route to host"
            case 101, 51: return "network is unreachable"
            default: return "\(ioError)"
            }
        }
        if case ChannelError.connectTimeout = error { return "connect timed out" }
        return "\(error)"
    }
}
