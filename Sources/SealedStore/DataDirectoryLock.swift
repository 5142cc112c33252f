#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// An exclusive lock on a data directory, so two servers never share one store: each would
/// cache and write the same SQLite file and app registry behind the other's back.
///
/// `flock` on `<directory>/enclave-os.lock`, which also records the holder's PID so the refusal
/// can name it. The kernel drops the lock when the holder exits, however it exits (kill -9
/// included), so a stale lock file never blocks a restart.
public final class DataDirectoryLock: Sendable {
    /// The lock file's name inside the data directory.
    public static let fileName = "enclave-os.lock"

    /// Why the lock was not taken.
    public enum Failure: Error, Equatable, CustomStringConvertible, Sendable {
        /// Another process (or another store in this process) holds the directory.
        case inUse(directory: String, holderPID: Int32?)
        /// The lock file could not be opened or locked.
        case unavailable(path: String, reason: String)

        public var description: String {
            switch self {
            case .inUse(let directory, let pid):
                let holder = pid.map { "another enclave-os (pid \($0))" } ?? "another enclave-os"
                return "data directory '\(directory)' is in use by \(holder); "
                    + "stop that server or pass a different --data-dir (two servers must never share one store)"
            case .unavailable(let path, let reason):
                return "cannot lock '\(path)': \(reason)"
            }
        }
    }

    /// The lock file's path.
    public let path: String
    /// The lock file's descriptor; -1 once released.
    private let descriptor: Mutex<Int32>

    /// Takes the lock on `directory` (which must exist) without waiting.
    /// - Throws: `Failure.inUse` naming the holder's PID when it is held.
    public init(directory: String) throws {
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure.unavailable(path: path, reason: String(cString: strerror(errno))) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = Self.readPID(descriptor)
            close(descriptor)
            if code == EWOULDBLOCK { throw Failure.inUse(directory: directory, holderPID: holder) }
            throw Failure.unavailable(path: path, reason: String(cString: strerror(code)))
        }
        // Record who holds it (advisory text for the refusal message; the lock is the flock).
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        self.descriptor = Mutex(descriptor)
    }

    /// Releases the lock (idempotent); also done when the object is freed or the process exits.
    public func release() {
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            close(descriptor)  // closing the only descriptor drops the flock
            descriptor = -1
        }
    }

    deinit { release() }

    private static func readPID(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
