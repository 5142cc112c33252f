import EnclaveProtocol
import NIOCore

/// The limits on streamed loads.
public struct UploadLimits: Sendable, Hashable {
    /// The largest component accepted, by any load.
    public var maxComponentBytes: Int
    /// Uploads in progress at once.
    public var maxUploads: Int
    /// The sum of the declared sizes of the uploads in progress.
    public var maxUploadBytes: Int
    /// An upload with no chunk for this long is forgotten and its memory released.
    public var idleTimeoutSeconds: Int

    public init(maxComponentBytes: Int = 64 << 20, maxUploads: Int = 8, maxUploadBytes: Int = 256 << 20,
                idleTimeoutSeconds: Int = 60) {
        self.maxComponentBytes = maxComponentBytes
        self.maxUploads = maxUploads
        self.maxUploadBytes = maxUploadBytes
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }

    /// The chunk size the server suggests: 4 MiB raw is ~7.1 MiB as base64 inside base64, well
    /// inside a 16 MiB frame, and large enough that per-chunk costs vanish.
    public static let suggestedChunkBytes = 4 << 20
}

/// The uploads in progress, by id: capped in number and declared bytes, expired when idle.
public final class UploadStore: Sendable {
    public let limits: UploadLimits
    private let sessions = Locked([String: UploadSession]())

    public init(limits: UploadLimits) {
        self.limits = limits
    }

    /// Starts an upload after checking the size and the store's caps (expired uploads are
    /// dropped first, so they never stand in the way).
    public func begin(_ manifest: UploadBegin, operatorName: String? = nil, now: NIODeadline = .now()) throws(UploadError) -> UploadSession {
        guard manifest.size <= limits.maxComponentBytes else {
            throw .tooLarge(size: manifest.size, limit: limits.maxComponentBytes)
        }
        expire(now: now)
        let limits = self.limits
        return try sessions.withLock { sessions -> Result<UploadSession, UploadError> in
            guard sessions.count < limits.maxUploads else { return .failure(.tooManyUploads(limit: limits.maxUploads)) }
            let held = sessions.values.reduce(0) { $0 + $1.manifest.size }
            guard held + manifest.size <= limits.maxUploadBytes else {
                return .failure(.overBudget(size: manifest.size, held: held, limit: limits.maxUploadBytes))
            }
            var id = Self.newID()
            while sessions[id] != nil { id = Self.newID() }
            let created = Result { () throws(UploadError) in try UploadSession(id: id, manifest: manifest, operatorName: operatorName, now: now) }
            if case .success(let session) = created { sessions[id] = session }
            return created
        }.get()
    }

    /// The upload `id`.
    public func session(_ id: String) throws(UploadError) -> UploadSession {
        guard let session = sessions.withLock({ $0[id] }) else {
            throw .unknownUpload(id, timeoutSeconds: limits.idleTimeoutSeconds)
        }
        return session
    }

    /// Forgets the upload `id` and releases its buffer; false if there was none.
    @discardableResult
    public func remove(_ id: String) -> Bool {
        guard let session = sessions.withLock({ $0.removeValue(forKey: id) }) else { return false }
        session.discard()
        return true
    }

    /// Forgets every upload idle for longer than the timeout; returns how many.
    @discardableResult
    public func expire(now: NIODeadline = .now()) -> Int {
        let cutoff = now - .seconds(Int64(limits.idleTimeoutSeconds))
        let expired = sessions.withLock { sessions -> [UploadSession] in
            let stale = sessions.values.filter { $0.lastActivity < cutoff }
            for session in stale { sessions[session.id] = nil }
            return stale
        }
        for session in expired { session.discard() }
        return expired.count
    }

    /// Uploads in progress and the sum of their declared sizes.
    public var usage: (uploads: Int, declaredBytes: Int) {
        sessions.withLock { sessions in (sessions.count, sessions.values.reduce(0) { $0 + $1.manifest.size }) }
    }

    /// 128 random bits in hex: ids cannot be guessed, so one client cannot feed or commit
    /// another's upload.
    private static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let value = generator.next() as UInt64
            let text = String(value, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
    }
}
