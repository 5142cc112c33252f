import Attestation
import Crypto
import EnclaveProtocol
import NIOCore

/// One component arriving in pieces: bytes are appended in order into a buffer of exactly the
/// declared size and hashed as they come, then `finish` checks the size and SHA-256.
///
/// It knows nothing of frames or JSON: the frame protocol's `wasm_load_chunk` feeds it, and so
/// can an HTTP handler streaming a request body. Thread-safe; one append at a time.
public final class UploadSession: Sendable {
    /// The id clients address the upload by.
    public let id: String
    /// What `wasm_load_begin` declared: name, size, SHA-256, and the `wasm_load` options.
    public let manifest: UploadBegin
    /// The operator who began the upload (nil: open management), for the log of its commit.
    public let operatorName: String?
    private let state: Locked<State>

    private struct State {
        var buffer: UploadBuffer?
        var received = 0
        var hasher = SHA256()
        var lastActivity: NIODeadline
    }

    /// A session over a freshly mapped buffer of `manifest.size` bytes.
    /// - Throws: `UploadError.outOfMemory` when the buffer cannot be mapped.
    init(id: String, manifest: UploadBegin, operatorName: String? = nil, now: NIODeadline) throws(UploadError) {
        guard let buffer = UploadBuffer(capacity: manifest.size) else { throw .outOfMemory(size: manifest.size) }
        self.operatorName = operatorName
        self.id = id
        self.manifest = manifest
        self.state = Locked(State(buffer: buffer, lastActivity: now))
    }

    /// Bytes received so far.
    public var received: Int { state.withLock { $0.received } }

    /// When the last chunk arrived (or the upload began).
    var lastActivity: NIODeadline { state.withLock { $0.lastActivity } }

    /// Appends `bytes`, which must start at `offset` == `received`.
    /// - Returns: the bytes received so far.
    @discardableResult
    public func append(_ bytes: UnsafeRawBufferPointer, at offset: Int, now: NIODeadline = .now()) throws(UploadError) -> Int {
        let size = manifest.size
        let id = self.id
        let chunk = BorrowedChunk(bytes: bytes)
        return try state.withLock { state -> Result<Int, UploadError> in
            guard let buffer = state.buffer else { return .failure(.unknownUpload(id, timeoutSeconds: nil)) }
            guard offset == state.received else { return .failure(.wrongOffset(expected: state.received, got: offset)) }
            guard bytes.count <= size - offset else { return .failure(.pastEnd(offset: offset, count: bytes.count, size: size)) }
            buffer.write(chunk.bytes, at: offset)
            state.hasher.update(bufferPointer: chunk.bytes)
            state.received += bytes.count
            state.lastActivity = now
            return .success(state.received)
        }.get()
    }

    /// Checks that every declared byte arrived with the declared SHA-256 and returns them.
    /// The buffer is released either way: a failed upload cannot be committed again.
    public func finish() throws(UploadError) -> [UInt8] {
        let size = manifest.size
        let declared = manifest.sha256
        let id = self.id
        return try state.withLock { state -> Result<[UInt8], UploadError> in
            guard let buffer = state.buffer else { return .failure(.unknownUpload(id, timeoutSeconds: nil)) }
            guard state.received == size else { return .failure(.incomplete(received: state.received, size: size)) }
            state.buffer = nil
            let actual = Hex.encode(state.hasher.finalize())
            guard actual == declared else { return .failure(.hashMismatch(declared: declared, actual: actual)) }
            return .success(Array(buffer.bytes(count: size)))
        }.get()
    }

    /// Releases the buffer now (abort, expiry); later steps find the upload gone.
    func discard() {
        state.withLock { $0.buffer = nil }
    }
}

/// The caller's chunk, handed into the locked state of `UploadSession.append`.
private struct BorrowedChunk: @unchecked Sendable {
    // @unchecked: a raw buffer pointer is not `Sendable`. This one is only read, only inside the
    // lock of the `append` call that received it (copied into the buffer and hashed), and never
    // stored, so it is not used after that call returns nor by any other thread. Without the
    // wrapper the checker ties the locked state to the caller's pointer (SHA256 is not `Sendable`).
    let bytes: UnsafeRawBufferPointer
}
