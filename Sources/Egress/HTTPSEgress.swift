import AsyncHTTPClient
import Dispatch
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// HTTP methods of the positional `privasys:enclave-os/https.fetch` (wit/ and docs/sdk.md).
public enum EgressMethod: UInt32, CaseIterable, Sendable {
    case get = 0, post, put, delete, patch, head, options

    /// The method for a WIT method code, or `invalidMethod`.
    public init(witCode: UInt32) throws(EgressError) {
        guard let method = EgressMethod(rawValue: witCode) else { throw .invalidMethod(witCode) }
        self = method
    }

    var httpMethod: HTTPMethod {
        switch self {
        case .get: return .GET
        case .post: return .POST
        case .put: return .PUT
        case .delete: return .DELETE
        case .patch: return .PATCH
        case .head: return .HEAD
        case .options: return .OPTIONS
        }
    }
}

/// The HTTPS client apps reach through `privasys:enclave-os/https`: TLS terminates in this
/// process, only `https://` is allowed, redirects are returned rather than followed, bodies and
/// time are capped, and every failure is a readable `EgressError`.
///
/// One instance per server: it owns one `HTTPClient` (connection pools are shared by all
/// apps). Call `shutdown()` before releasing it.
public final class HTTPSEgress: Sendable {
    /// The settings this client was built with.
    public let configuration: EgressConfiguration
    /// The trust anchors in use, as loaded at start.
    public let trustBundle: EgressTrustBundle
    private let client: HTTPClient
    /// host → address of the resolve map (AsyncHTTPClient overrides resolution per host).
    private let dnsOverride: [String: String]

    /// SHA-256 of the trust bundle bytes actually loaded, for the RA-TLS certificate.
    public var bundleHash: [UInt8] { trustBundle.sha256 }

    /// Loads the trust bundle and creates the shared client; fails on a bad configuration.
    public init(
        configuration: EgressConfiguration = EgressConfiguration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(EgressError) {
        let bundle = try EgressTrustBundle.load(path: configuration.caBundlePath)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(bundle.certificates)
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        // NIOSSL waits 5 s for the peer's close_notify by default; a server that never sends it
        // would hold a connection (and delay shutdown) that long.
        tls.shutdownTimeout = .seconds(1)
        var clientConfiguration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: configuration.connectTimeout, read: configuration.totalTimeout),
            decompression: .disabled)
        // Off, so that a failed certificate check is reported at once instead of being retried
        // until the connect timeout (measured: ~4 ms instead of 5 s).
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        var override: [String: String] = [:]
        for (key, target) in configuration.resolve {
            guard let colon = key.lastIndex(of: ":") else { continue }
            override[String(key[..<colon])] = target.host
        }
        clientConfiguration.dnsOverride = override
        self.configuration = configuration
        self.trustBundle = bundle
        self.dnsOverride = override
        self.client = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: clientConfiguration)
    }

    /// Performs one request. `trustRoots` (DER) replaces the configured anchors for this request;
    /// `timeout` can only shorten the configured total timeout.
    public func fetch(
        method: EgressMethod, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        trustRoots: [[UInt8]]? = nil, timeout: TimeAmount? = nil
    ) async -> Result<EgressResponse, EgressError> {
        let started: Started
        switch start(method: method, url: url, headers: headers, body: body, trustRoots: trustRoots, timeout: timeout) {
        case .failure(let error): return .failure(error)
        case .success(let value): started = value
        }
        return await withTaskCancellationHandler {
            do {
                return .success(try await started.task.futureResult.get())
            } catch {
                return .failure(started.describe(error))
            }
        } onCancel: {
            started.task.cancel()
        }
    }

    /// The same as `fetch`, blocking the calling thread: for a WASM host function running on a
    /// worker thread. It never touches Swift concurrency's shared pool (the request runs on the
    /// client's event loops), and it refuses to run on an event loop, where waiting would deadlock.
    /// While it waits it asks `stopReason` every `stopPollInterval`; once that answers a reason,
    /// the request is cancelled and `.abandoned(reason)` returned.
    public func fetchBlocking(
        method: EgressMethod, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        trustRoots: [[UInt8]]? = nil, timeout: TimeAmount? = nil,
        stopReason: (@Sendable () -> String?)? = nil
    ) -> Result<EgressResponse, EgressError> {
        guard MultiThreadedEventLoopGroup.currentEventLoop == nil else { return .failure(.calledOnEventLoop) }
        let started: Started
        switch start(method: method, url: url, headers: headers, body: body, trustRoots: trustRoots, timeout: timeout) {
        case .failure(let error): return .failure(error)
        case .success(let value): started = value
        }
        let semaphore = DispatchSemaphore(value: 0)
        let box = ResultBox()
        started.task.futureResult.whenComplete { result in
            box.set(result.mapError { started.describe($0) })
            semaphore.signal()
        }
        // AsyncHTTPClient enforces the deadline itself; the extra second only guards against a
        // lost completion, so a worker thread can never hang here.
        let limit = DispatchTime.now() + .nanoseconds(Int(started.seconds * 1e9) + 1_000_000_000)
        while true {
            let slice = stopReason == nil ? limit : min(limit, DispatchTime.now() + Self.stopPollInterval)
            if semaphore.wait(timeout: slice) == .success, let result = box.get() { return result }
            if DispatchTime.now() >= limit {
                started.task.cancel()
                return .failure(.timeout(seconds: started.seconds))
            }
            if let reason = stopReason?() {
                started.task.cancel()
                return .failure(.abandoned(reason))
            }
        }
    }

    /// How often a blocked `fetchBlocking` asks whether to give up.
    static let stopPollInterval = DispatchTimeInterval.milliseconds(50)

    /// Closes all connections; pending requests fail.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    /// Blocking `shutdown()`, for non-async callers (not on an event loop).
    public func syncShutdown() throws {
        try client.syncShutdown()
    }

    // MARK: - Request preparation

    /// A request in flight with what is needed to describe its errors.
    private struct Started: Sendable {
        let task: HTTPClient.Task<EgressResponse>
        let host: String
        let port: Int
        let seconds: Double
        let connectSeconds: Double

        func describe(_ error: any Error) -> EgressError {
            EgressErrorMapping.map(error, host: host, port: port, seconds: seconds, connectSeconds: connectSeconds)
        }
    }

    private func start(
        method: EgressMethod, url: String, headers: [(String, String)], body: [UInt8]?,
        trustRoots: [[UInt8]]?, timeout: TimeAmount?
    ) -> Result<Started, EgressError> {
        do throws(EgressError) {
            let target = try resolveURL(url)
            var httpHeaders = try EgressRequestValidation.headers(headers, configuration: configuration)
            httpHeaders.replaceOrAdd(name: "host", value: target.hostHeader)
            if let body, body.count > configuration.maxRequestBodyBytes {
                throw .requestBodyTooLarge(limit: configuration.maxRequestBodyBytes)
            }
            var tls: TLSConfiguration?
            if let trustRoots {
                var perRequest = TLSConfiguration.makeClientConfiguration()
                perRequest.trustRoots = .certificates(try EgressTrustBundle.parseDERRoots(trustRoots))
                perRequest.minimumTLSVersion = .tlsv12
                perRequest.shutdownTimeout = .seconds(1)
                tls = perRequest
            }
            let request: HTTPClient.Request
            do {
                request = try HTTPClient.Request(
                    url: target.url, method: method.httpMethod, headers: httpHeaders,
                    body: body.map { .bytes($0) }, tlsConfiguration: tls)
            } catch {
                throw .invalidURL("\(error)")
            }
            let total = min(timeout ?? configuration.totalTimeout, configuration.totalTimeout)
            let collector = ResponseCollector(
                limit: configuration.maxResponseBodyBytes, expectsBody: method != .head, host: target.host)
            let task = client.execute(request: request, delegate: collector, deadline: .now() + total)
            return .success(Started(
                task: task, host: target.host, port: target.port,
                seconds: Double(total.nanoseconds) / 1e9,
                connectSeconds: Double(configuration.connectTimeout.nanoseconds) / 1e9))
        } catch {
            return .failure(error)
        }
    }

    /// The URL to request (port rewritten by the resolve map) and the Host header to send.
    private struct ResolvedURL {
        let url: URL
        let host: String
        let port: Int
        let hostHeader: String
    }

    private func resolveURL(_ text: String) throws(EgressError) -> ResolvedURL {
        guard text.utf8.count <= 8192 else { throw .invalidURL("longer than 8192 bytes") }
        guard let separator = text.range(of: "://") else { throw .onlyHTTPS }
        guard text[..<separator.lowerBound].lowercased() == "https" else { throw .onlyHTTPS }
        guard var components = URLComponents(string: text) else { throw .invalidURL("'\(text)' cannot be parsed") }
        guard let rawHost = components.host, !rawHost.isEmpty else { throw .invalidURL("'\(text)' has no host") }
        guard components.user == nil, components.password == nil else {
            throw .invalidURL("credentials in the URL are not supported; send an Authorization header")
        }
        let host = rawHost.lowercased()
        let port = components.port ?? 443
        guard (1...65535).contains(port) else { throw .invalidURL("port \(port) is not in 1...65535") }
        let hostHeader = port == 443 ? host : "\(host):\(port)"
        if let target = configuration.resolve["\(host):\(port)"] {
            components.port = target.port
        } else if dnsOverride[host] != nil {
            throw .portNotResolved(host: host, port: port)
        }
        guard let url = components.url else { throw .invalidURL("'\(text)' cannot be parsed") }
        return ResolvedURL(url: url, host: host, port: port, hostHeader: hostHeader)
    }
}

/// A result handed from an event loop to a waiting thread.
private final class ResultBox: Sendable {
    private let value = Mutex<Result<EgressResponse, EgressError>?>(nil)

    func set(_ result: Result<EgressResponse, EgressError>) {
        value.withLock { $0 = result }
    }

    func get() -> Result<EgressResponse, EgressError>? {
        value.withLock { $0 }
    }
}
