import EnclaveProtocol
import NIOCore

/// Where a load is, for progress displays.
public struct LoadProgress: Sendable {
    public enum Phase: Sendable {
        /// Reading the file once to compute its SHA-256 (the streamed load declares it first).
        case hashing
        /// Sending the bytes.
        case uploading
        /// Every byte is sent; the server verifies, compiles and stores the component.
        case committing
    }

    public var phase: Phase
    /// Bytes of the component acknowledged by the server (hashing: bytes hashed).
    public var bytesDone: Int
    public var totalBytes: Int
    /// How the component travels: `"one frame"` (``oneFrame``) or `"streamed in N chunks"`.
    public var method: String

    /// The `method` of a load sent in one frame: reported once, before the frame, as nothing
    /// acknowledges part of it.
    public static let oneFrame = "one frame"

    /// Whether the load goes in chunks, each acknowledged (so `bytesDone` advances).
    public var isStreamed: Bool { method != Self.oneFrame }
}

/// How `load` sends a component.
public enum LoadMethod: Sendable, Hashable {
    /// One frame, base64 at both levels when it fits and the streamed load above `threshold`.
    case automatic(threshold: Int)
    /// One `wasm_load` frame with base64 bytes.
    case oneFrame
    /// One frame with integer arrays at both levels: what servers of the original protocol read.
    case compat
    /// Always streamed, in chunks of `chunkSize` bytes (nil: the server's suggestion).
    case streamed(chunkSize: Int?)

    /// Streamed above 4 MiB.
    public static let `default` = LoadMethod.automatic(threshold: 4 << 20)
}

extension EnclaveConnection {
    /// The largest component that fits one frame as base64 inside base64 (~9 MiB).
    public static let maxOneFrameBase64Bytes = (Frame.maxPayload - 256) / 16 * 9

    /// Loads the component in `source` as app `name`, one frame or streamed as `method` says,
    /// reporting progress. Client memory stays within a few chunks whatever the size.
    public func load(name: String, source: ComponentSource, hostname: String? = nil, key: String? = nil,
                     maxFuel: UInt64? = nil, method: LoadMethod = .default,
                     progress: (@Sendable (LoadProgress) -> Void)? = nil) throws -> AppSummary {
        let streamed: Bool
        switch method {
        case .automatic(let threshold): streamed = source.size > threshold
        case .oneFrame, .compat: streamed = false
        case .streamed: streamed = true
        }
        if !streamed {
            let bytes = try source.read(offset: 0, count: source.size)
            progress?(LoadProgress(phase: .uploading, bytesDone: 0, totalBytes: source.size, method: LoadProgress.oneFrame))
            let compat = method == .compat
            if !compat, source.size > Self.maxOneFrameBase64Bytes {
                throw EnclaveClientError.invalidArgument("'\(source.label)' (\(source.size) bytes) does not fit one frame "
                    + "(at most \(Self.maxOneFrameBase64Bytes) bytes with base64); load it streamed")
            }
            let message = ManagementMessages.load(name: name, bytes: bytes, hostname: hostname, key: key,
                                                  base64: !compat, maxFuel: maxFuel)
            let json = try management(message, bytesAs: compat ? .integerArray : .base64)
            return try AppSummary(json: Self.expect(json, status: "loaded", field: "app"))
        }
        let chunkSize: Int? = if case .streamed(let size) = method { size } else { nil }
        return try StreamedLoad(connection: self, source: source, chunkSize: chunkSize, progress: progress)
            .run(UploadBegin(name: name, size: source.size, sha256: "", hostname: hostname, encryptionKey: key, maxFuel: maxFuel))
    }
}

/// The client side of `wasm_load_begin` / `_chunk` × N / `_commit`: chunks are read from the
/// source as they are sent, with a window of two in flight so the link stays busy while the
/// server stores the previous one.
struct StreamedLoad {
    static let window = 2

    let connection: EnclaveConnection
    let source: ComponentSource
    let chunkSize: Int?
    let progress: (@Sendable (LoadProgress) -> Void)?

    func run(_ announced: UploadBegin) throws -> AppSummary {
        var begin = announced
        progress?(LoadProgress(phase: .hashing, bytesDone: 0, totalBytes: source.size, method: "streamed"))
        begin.sha256 = try source.sha256()
        let ticket: UploadTicket
        switch try send(.begin(begin)) {
        case .uploadReady(let ready): ticket = ready
        case .error(let message) where message.hasPrefix("unknown message 'wasm_load_begin'"):
            throw EnclaveClientError.requestFailed("this server does not support streamed loads (wasm_load_begin); "
                + "components up to \(EnclaveConnection.maxOneFrameBase64Bytes) bytes can be loaded in one frame")
        case let other: throw Self.failure(other, expected: "upload")
        }
        let size = max(1, min(chunkSize ?? ticket.chunkSize, EnclaveConnection.maxOneFrameBase64Bytes))
        let chunks = (source.size + size - 1) / size
        let method = "streamed in \(chunks) chunk\(chunks == 1 ? "" : "s")"
        do {
            try sendChunks(ticket.upload, chunkSize: size, method: method)
        } catch {
            _ = try? send(.abort(upload: ticket.upload))  // free the server's buffer now, not at its timeout
            throw error
        }
        progress?(LoadProgress(phase: .committing, bytesDone: source.size, totalBytes: source.size, method: method))
        switch try send(.commit(upload: ticket.upload)) {
        case .loaded(let app): return try AppSummary(json: app.json())
        case let other: throw Self.failure(other, expected: "loaded")
        }
    }

    private func sendChunks(_ upload: String, chunkSize: Int, method: String) throws {
        var inFlight: [EventLoopFuture<Response>] = []
        var offset = 0
        var acknowledged = 0
        progress?(LoadProgress(phase: .uploading, bytesDone: 0, totalBytes: source.size, method: method))
        func awaitOldest() throws {
            let response = try EnclaveConnection.unwrapData(try inFlight.removeFirst().wait())
            switch ManagementResponse.decode(response) {
            case .chunkReceived(_, let received)?: acknowledged = received
            default: throw Self.failure(ManagementResponse.decode(response) ?? .error(response.serializedString), expected: "chunk")
            }
            progress?(LoadProgress(phase: .uploading, bytesDone: acknowledged, totalBytes: source.size, method: method))
        }
        while offset < source.size {
            let bytes = try source.read(offset: offset, count: chunkSize)
            let message = UploadMessage.chunk(UploadChunk(upload: upload, offset: offset, bytes: bytes)).json()
            inFlight.append(connection.sendPipelined(request: .data(message.serialized()), bytesAs: .base64))
            offset += bytes.count
            if inFlight.count >= Self.window { try awaitOldest() }
        }
        while !inFlight.isEmpty { try awaitOldest() }
        guard acknowledged == source.size else {
            throw EnclaveClientError.unexpectedResponse(expected: "\(source.size) bytes received", got: "\(acknowledged)")
        }
    }

    private func send(_ message: UploadMessage) throws -> ManagementResponse {
        let json = try connection.management(message.json(), bytesAs: .base64)
        guard let response = ManagementResponse.decode(json) else {
            throw EnclaveClientError.unexpectedResponse(expected: "a management response", got: json.serializedString)
        }
        return response
    }

    private static func failure(_ response: ManagementResponse, expected: String) -> EnclaveClientError {
        if case .error(let message) = response { return .requestFailed(message) }
        return .unexpectedResponse(expected: "status \(expected)", got: response.json().serializedString)
    }
}
