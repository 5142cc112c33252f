import Components
import SealedStore

/// The per-call state of the WASI host (the object the server passes as the call's session):
/// resource tables for descriptors, streams, pollables and errors, the app's filesystem, the
/// stdout/stderr line buffers, the call's exit status, and the SDK's keystore.
///
/// One session serves one call on one thread; it is not thread-safe, and not `Sendable` (the
/// compiler refuses to share it between threads). Call
/// `finish()` when the call ends, whether it succeeded or trapped: it writes back dirty files
/// (a write the guest made is visible, as after a crashed POSIX process) and flushes output.
public final class WASISession: CallSession {
    /// Caps for one call.
    public struct Configuration: Sendable {
        /// Filesystem caps.
        public var fileSystem: SealedFileSystem.Limits = .default
        /// Most live handles of each resource kind.
        public var maxHandlesPerKind = 1024
        /// Most total time a call may spend blocked in `wasi:io/poll` (sleeping ties up a
        /// worker without spending fuel); past it the call traps.
        public var maxBlockedNanoseconds: UInt64 = 1_000_000_000
        /// Longest stdout/stderr line emitted in one piece.
        public var maxLineBytes = 8 * 1024
        /// Most stdout plus stderr bytes per stream per call.
        public var maxOutputBytes = 1 << 20
        /// Defaults.
        public init() {}
    }

    /// Which standard stream a line came from.
    public enum OutputChannel: String, Sendable {
        case stdout, stderr
    }

    /// What a descriptor refers to.
    public enum DescriptorTarget {
        case directory(FileSystemPath)
        case file(SealedFileSystem.FileNode)
    }

    /// An open descriptor: its target and the `descriptor-flags` it was opened with.
    public struct Descriptor {
        /// The directory or file.
        public var target: DescriptorTarget
        /// The flags, as granted at open.
        public var flags: DescriptorFlags
    }

    /// A directory listing being read entry by entry.
    public struct DirectoryStream {
        var entries: [(name: String, type: SealedFileSystem.EntryType)]
        var next = 0
    }

    /// An `input-stream`.
    public enum InputStream {
        /// Reads a file from `offset` on.
        case file(SealedFileSystem.FileNode, offset: UInt64)
        /// stdin: apps get no input, so it is closed from the start.
        case stdin
    }

    /// An `output-stream`.
    public enum OutputStream {
        /// Writes a file from `offset` on.
        case file(SealedFileSystem.FileNode, offset: UInt64)
        /// Appends to a file.
        case append(SealedFileSystem.FileNode)
        case stdout, stderr
    }

    /// A `pollable`.
    public enum Pollable {
        /// Always ready (streams here never block).
        case ready
        /// Ready once the monotonic clock reaches this instant.
        case deadline(UInt64)
    }

    /// A `wasi:io/error.error`: a debug text and, for filesystem failures, the code.
    public struct ErrorInfo {
        /// The text `to-debug-string` returns.
        public var message: String
        /// What `filesystem-error-code` returns.
        public var code: WASIErrorCode?
    }

    /// The caps in force.
    public let configuration: Configuration
    /// The app's filesystem, or nil if the app has no store (then there are no preopens).
    public let fileSystem: SealedFileSystem?
    /// The app's sealed store (under the filesystem; the SDK's keystore persists keys in it).
    public let kv: SealedKV?
    /// The app this call serves, for the SDK interfaces (nil: sealing and attestation answer
    /// `err`).
    public let app: EnclaveApp?
    /// The SDK keystore of this call: empty at the start of every call.
    public var keys = KeyStore()
    /// Live descriptors.
    public var descriptors: ResourceTable<Descriptor>
    /// Live directory-entry streams.
    public var directoryStreams: ResourceTable<DirectoryStream>
    /// Live input streams.
    public var inputStreams: ResourceTable<InputStream>
    /// Live output streams.
    public var outputStreams: ResourceTable<OutputStream>
    /// Live pollables.
    public var pollables: ResourceTable<Pollable>
    /// Live errors.
    public var errors: ResourceTable<ErrorInfo>
    /// The guest's stdout, in lines.
    public var stdout: OutputLines
    /// The guest's stderr, in lines.
    public var stderr: OutputLines
    /// Set by `wasi:cli/exit`: true for `ok`.
    public internal(set) var exitStatus: Bool?
    /// Total nanoseconds spent in `block`/`poll` so far.
    public internal(set) var blockedNanoseconds: UInt64 = 0
    /// `insecure-seed`'s value, fixed for the session as the interface intends.
    public private(set) lazy var insecureSeed: (UInt64, UInt64) = (EntropySource.u64(), EntropySource.u64())

    /// A session for one call of app `appName` over its store `kv` (nil: no filesystem).
    /// `log` receives every stdout/stderr line; the server tags it with the app's name.
    public init(kv: SealedKV?, app: EnclaveApp? = nil, configuration: Configuration = Configuration(),
                log: @escaping (OutputChannel, String) -> Void = { _, _ in }) {
        self.configuration = configuration
        self.kv = kv
        self.app = app
        self.fileSystem = kv.map { SealedFileSystem(kv: $0, limits: configuration.fileSystem) }
        let cap = configuration.maxHandlesPerKind
        descriptors = ResourceTable(name: "wasi:filesystem/types.descriptor", capacity: cap)
        directoryStreams = ResourceTable(name: "wasi:filesystem/types.directory-entry-stream", capacity: cap)
        inputStreams = ResourceTable(name: "wasi:io/streams.input-stream", capacity: cap)
        outputStreams = ResourceTable(name: "wasi:io/streams.output-stream", capacity: cap)
        pollables = ResourceTable(name: "wasi:io/poll.pollable", capacity: cap)
        errors = ResourceTable(name: "wasi:io/error.error", capacity: cap)
        stdout = OutputLines(maxLineBytes: configuration.maxLineBytes, maxTotalBytes: configuration.maxOutputBytes) { log(.stdout, $0) }
        stderr = OutputLines(maxLineBytes: configuration.maxLineBytes, maxTotalBytes: configuration.maxOutputBytes) { log(.stderr, $0) }
    }

    /// Ends the call: writes back every dirty file, emits unterminated output lines, and drops
    /// every handle the guest still held. Safe to call more than once.
    /// - Throws: the first filesystem failure (every file is still attempted).
    public func finish() throws {
        stdout.finish()
        stderr.finish()
        _ = directoryStreams.removeAll()
        _ = pollables.removeAll()
        _ = errors.removeAll()
        var firstError: Error?
        func release(_ node: SealedFileSystem.FileNode) {
            do { try fileSystem?.release(node) } catch { if firstError == nil { firstError = error } }
        }
        for stream in inputStreams.removeAll() { if case .file(let node, _) = stream { release(node) } }
        for stream in outputStreams.removeAll() {
            switch stream {
            case .file(let node, _), .append(let node): release(node)
            case .stdout, .stderr: break
            }
        }
        for descriptor in descriptors.removeAll() { if case .file(let node) = descriptor.target { release(node) } }
        do { try fileSystem?.flushAll() } catch { if firstError == nil { firstError = error } }
        if let firstError { throw firstError }
    }
}

/// `wasi:filesystem/types.descriptor-flags`, in WIT order.
public struct DescriptorFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    /// Wraps raw bits (bit i = WIT flag i).
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let read = DescriptorFlags(rawValue: 1 << 0)
    public static let write = DescriptorFlags(rawValue: 1 << 1)
    public static let fileIntegritySync = DescriptorFlags(rawValue: 1 << 2)
    public static let dataIntegritySync = DescriptorFlags(rawValue: 1 << 3)
    public static let requestedWriteSync = DescriptorFlags(rawValue: 1 << 4)
    public static let mutateDirectory = DescriptorFlags(rawValue: 1 << 5)
    /// Number of flags in the WIT type.
    public static let witCount = 6

    /// From the canonical `flags` value (one Bool per flag, WIT order; extra entries ignored).
    public init(bools: [Bool]) {
        var raw: UInt8 = 0
        for (index, set) in bools.prefix(Self.witCount).enumerated() where set { raw |= 1 << index }
        self.init(rawValue: raw)
    }

    /// As the canonical `flags` value.
    public var bools: [Bool] { (0..<Self.witCount).map { rawValue & (1 << $0) != 0 } }
}

/// `wasi:filesystem/types.open-flags`, in WIT order.
public struct OpenFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    /// Wraps raw bits (bit i = WIT flag i).
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let create = OpenFlags(rawValue: 1 << 0)
    public static let directory = OpenFlags(rawValue: 1 << 1)
    public static let exclusive = OpenFlags(rawValue: 1 << 2)
    public static let truncate = OpenFlags(rawValue: 1 << 3)

    /// From the canonical `flags` value (one Bool per flag, WIT order).
    public init(bools: [Bool]) {
        var raw: UInt8 = 0
        for (index, set) in bools.prefix(4).enumerated() where set { raw |= 1 << index }
        self.init(rawValue: raw)
    }
}
