/// The `wasi:io/streams` and `wasi:io/poll` operations, by rep. The model is synchronous:
/// every stream is always ready, so the blocking variants behave like the plain ones, and only
/// clock pollables ever wait.
extension WASISession {
    /// `stream-error`: a failed operation (with an `error` resource's rep) or a closed stream.
    public enum StreamError: Error, Equatable {
        case lastOperationFailed(errorRep: UInt32)
        case closed
    }

    /// Most bytes one `write` accepts: what `check-write` reports. Caps what a single guest
    /// call can make the host copy.
    public static let maxWriteBytes: UInt64 = 1 << 20

    /// Wraps a filesystem failure as `last-operation-failed` with an `error` resource that
    /// `filesystem-error-code` maps back to the code. A full error table degrades to `closed`
    /// rather than growing.
    func streamFailure(_ error: Error) -> StreamError {
        let code = (error as? WASIErrorCode) ?? .io
        guard let rep = try? errors.insert(ErrorInfo(message: "\(code)", code: code)) else { return .closed }
        return .lastOperationFailed(errorRep: rep)
    }

    func inputStream(_ rep: UInt32) throws -> InputStream {
        do { return try inputStreams.get(rep) } catch { throw WASIHostFault.badHandle("\(error)") }
    }

    func outputStream(_ rep: UInt32) throws -> OutputStream {
        do { return try outputStreams.get(rep) } catch { throw WASIHostFault.badHandle("\(error)") }
    }

    // MARK: - Opening streams on descriptors

    /// `read-via-stream`.
    public func readViaStream(_ rep: UInt32, offset: UInt64) throws -> UInt32 {
        let node = try file(rep)
        guard try descriptor(rep).flags.contains(.read) else { throw WASIErrorCode.badDescriptor }
        return try insertStream(node) { try inputStreams.insert(.file(node, offset: offset)) }
    }

    /// `write-via-stream`.
    public func writeViaStream(_ rep: UInt32, offset: UInt64) throws -> UInt32 {
        let node = try file(rep)
        guard try descriptor(rep).flags.contains(.write) else { throw WASIErrorCode.badDescriptor }
        return try insertStream(node) { try outputStreams.insert(.file(node, offset: offset)) }
    }

    /// `append-via-stream`.
    public func appendViaStream(_ rep: UInt32) throws -> UInt32 {
        let node = try file(rep)
        guard try descriptor(rep).flags.contains(.write) else { throw WASIErrorCode.badDescriptor }
        return try insertStream(node) { try outputStreams.insert(.append(node)) }
    }

    /// A stream holds its file node like a descriptor does, so dropping the descriptor first
    /// does not cut the stream off, and the last of them writes the file back.
    private func insertStream(_ node: SealedFileSystem.FileNode, _ insert: () throws -> UInt32) throws -> UInt32 {
        let rep: UInt32
        do { rep = try insert() } catch { throw WASIErrorCode.insufficientMemory }
        try store().retain(node)
        return rep
    }

    /// `get-stdin` / `get-stdout` / `get-stderr`.
    public func standardStream(_ channel: OutputChannel?) throws -> UInt32 {
        do {
            switch channel {
            case nil: return try inputStreams.insert(.stdin)
            case .stdout?: return try outputStreams.insert(.stdout)
            case .stderr?: return try outputStreams.insert(.stderr)
            }
        } catch { throw WASIHostFault.resourceExhausted("\(error)") }
    }

    /// Drops input stream `rep`, releasing its file.
    public func dropInputStream(_ rep: UInt32) throws {
        let stream: InputStream
        do { stream = try inputStreams.remove(rep) } catch { throw WASIHostFault.badHandle("\(error)") }
        if case .file(let node, _) = stream { try fileSystem?.release(node) }
    }

    /// Drops output stream `rep`: a file stream writes its data back (wit/ and docs/sdk.md: stream writes
    /// persist).
    public func dropOutputStream(_ rep: UInt32) throws {
        let stream: OutputStream
        do { stream = try outputStreams.remove(rep) } catch { throw WASIHostFault.badHandle("\(error)") }
        switch stream {
        case .file(let node, _), .append(let node): try fileSystem?.release(node)
        case .stdout, .stderr: break
        }
    }

    // MARK: - Input

    /// `read` / `blocking-read`: up to `length` bytes; `closed` at the end of a file and on stdin.
    public func streamRead(_ rep: UInt32, length: UInt64) throws -> Result<[UInt8], StreamError> {
        switch try inputStream(rep) {
        case .stdin:
            return .failure(.closed)
        case .file(let node, let offset):
            guard let fileSystem else { return .failure(.closed) }
            guard offset < UInt64(node.data.count) else { return .failure(.closed) }
            let bytes = fileSystem.read(node, length: length, offset: offset).bytes
            try? inputStreams.set(rep, .file(node, offset: offset + UInt64(bytes.count)))
            return .success(bytes)
        }
    }

    /// `skip` / `blocking-skip`: the number of bytes skipped.
    public func streamSkip(_ rep: UInt32, length: UInt64) throws -> Result<UInt64, StreamError> {
        switch try inputStream(rep) {
        case .stdin:
            return .failure(.closed)
        case .file(let node, let offset):
            let size = UInt64(node.data.count)
            guard offset < size else { return .failure(.closed) }
            let skipped = min(length, size - offset)
            try? inputStreams.set(rep, .file(node, offset: offset + skipped))
            return .success(skipped)
        }
    }

    // MARK: - Output

    /// `check-write`.
    public func checkWrite(_ rep: UInt32) throws -> Result<UInt64, StreamError> {
        _ = try outputStream(rep)
        return .success(Self.maxWriteBytes)
    }

    /// `write` / `blocking-write-and-flush`: all of `bytes`, or an error.
    public func streamWrite(_ rep: UInt32, _ bytes: [UInt8]) throws -> Result<Void, StreamError> {
        let stream = try outputStream(rep)
        guard UInt64(bytes.count) <= Self.maxWriteBytes else {
            // The guest ignored `check-write`: the spec says that is a trap-worthy misuse.
            throw WASIHostFault.protocolViolation("wrote \(bytes.count) bytes to an output-stream; check-write allows \(Self.maxWriteBytes)")
        }
        switch stream {
        case .stdout: stdout.write(bytes)
        case .stderr: stderr.write(bytes)
        case .file(let node, let offset):
            do {
                try store().write(node, bytes, at: offset)
                try? outputStreams.set(rep, .file(node, offset: offset + UInt64(bytes.count)))
            } catch { return .failure(streamFailure(error)) }
        case .append(let node):
            do { try store().write(node, bytes, at: UInt64(node.data.count)) } catch { return .failure(streamFailure(error)) }
        }
        return .success(())
    }

    /// `write-zeroes` / `blocking-write-zeroes-and-flush`.
    public func streamWriteZeroes(_ rep: UInt32, length: UInt64) throws -> Result<Void, StreamError> {
        guard length <= Self.maxWriteBytes else {
            throw WASIHostFault.protocolViolation("wrote \(length) zeroes to an output-stream; check-write allows \(Self.maxWriteBytes)")
        }
        return try streamWrite(rep, [UInt8](repeating: 0, count: Int(length)))
    }

    /// `flush` / `blocking-flush`: a file stream's data is written back now.
    public func streamFlush(_ rep: UInt32) throws -> Result<Void, StreamError> {
        switch try outputStream(rep) {
        case .stdout, .stderr: return .success(())
        case .file(let node, _), .append(let node):
            do { try store().flush(node) } catch { return .failure(streamFailure(error)) }
            return .success(())
        }
    }

    /// `splice` / `blocking-splice`: copies up to `length` bytes from `source` to `rep`.
    public func splice(_ rep: UInt32, from source: UInt32, length: UInt64) throws -> Result<UInt64, StreamError> {
        switch try streamRead(source, length: min(length, Self.maxWriteBytes)) {
        case .failure(let error): return .failure(error)
        case .success(let bytes):
            return try streamWrite(rep, bytes).map { UInt64(bytes.count) }
        }
    }

    // MARK: - Poll

    /// A pollable that is ready now (streams) or at `deadline` (monotonic nanoseconds).
    public func subscribe(deadline: UInt64? = nil) throws -> UInt32 {
        do { return try pollables.insert(deadline.map { .deadline($0) } ?? .ready) } catch {
            throw WASIHostFault.resourceExhausted("\(error)")
        }
    }

    /// `ready`.
    public func isReady(_ rep: UInt32) throws -> Bool {
        let pollable: Pollable
        do { pollable = try pollables.get(rep) } catch { throw WASIHostFault.badHandle("\(error)") }
        switch pollable {
        case .ready: return true
        case .deadline(let when): return Clocks.monotonicNow() >= when
        }
    }

    /// `block`: sleeps until ready, within the session's blocking budget.
    public func block(_ rep: UInt32) throws {
        _ = try poll([rep])
    }

    /// `poll`: indices of the ready pollables, sleeping until at least one is.
    /// - Throws: `WASIHostFault.blockedTooLong` past the budget, `protocolViolation` for an
    ///   empty list (it would wait forever).
    public func poll(_ reps: [UInt32]) throws -> [UInt32] {
        guard !reps.isEmpty else { throw WASIHostFault.protocolViolation("poll was called with no pollables") }
        guard reps.count <= Int(UInt32.max) else { throw WASIHostFault.protocolViolation("poll was called with too many pollables") }
        while true {
            var ready: [UInt32] = []
            var earliest = UInt64.max
            for (index, rep) in reps.enumerated() {
                let pollable: Pollable
                do { pollable = try pollables.get(rep) } catch { throw WASIHostFault.badHandle("\(error)") }
                switch pollable {
                case .ready: ready.append(UInt32(index))
                case .deadline(let when):
                    if Clocks.monotonicNow() >= when { ready.append(UInt32(index)) } else { earliest = min(earliest, when) }
                }
            }
            if !ready.isEmpty { return ready }
            let now = Clocks.monotonicNow()
            let wait = earliest > now ? earliest - now : 0
            guard blockedNanoseconds + wait <= configuration.maxBlockedNanoseconds else {
                throw WASIHostFault.blockedTooLong(limitNanoseconds: configuration.maxBlockedNanoseconds)
            }
            blockedNanoseconds += wait
            Clocks.sleep(nanoseconds: wait)
        }
    }
}
