// SymmetricKey is an immutable value (copy-on-write storage never mutated after init) but is not
// marked Sendable in swift-crypto 3.12; sharing it across threads is safe.
@preconcurrency import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The platform key that seals the app registry (app bytes, metadata and app keys) at rest.
/// Real TEEs derive it from the enclave identity (e.g. Gramine's `/dev/attestation/keys`); on a
/// machine without a TEE, `SimulatedSealingKey` stands in and says so.
public protocol SealingKeyProvider: Sendable {
    /// Short name for logs and status: `"simulated"`, `"gramine-sgx"`, …
    var kind: String { get }
    /// True when the key is not bound to any hardware: the server must label itself simulated.
    var isSimulated: Bool { get }
    /// The 32-byte sealing key.
    func sealingKey() throws -> SymmetricKey
}

/// A sealing key kept as 32 random bytes in a `0600` file in the data directory.
///
/// It protects nothing against whoever can read the data directory: it exists so that the same
/// code path (records sealed at rest, restored at start) runs everywhere. The file is created on
/// first start with `O_EXCL` and mode 0600; an existing file that is not a regular file owned by
/// us, is readable or writable by group/others, or is not exactly 32 bytes is refused, because
/// silently using (or replacing) a wrong key would either leak or orphan every stored app.
public struct SimulatedSealingKey: SealingKeyProvider {
    /// The file name inside the data directory.
    public static let fileName = "sealing-key.simulated"

    /// Always `"simulated"`.
    public var kind: String { "simulated" }
    /// Always true.
    public var isSimulated: Bool { true }
    /// Absolute path of the key file.
    public let path: String
    private let key: SymmetricKey

    /// Loads the key file in `directory`, creating the directory (0700) and the file on first use.
    /// - Throws: `SealedStoreError.sealingKey` naming the path and the fix.
    public init(directory: String) throws {
        try DataDirectory.ensure(directory)
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        key = try Self.loadOrCreate(path: path)
    }

    /// The key loaded at init.
    public func sealingKey() throws -> SymmetricKey { key }

    private static func loadOrCreate(path: String) throws -> SymmetricKey {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 {
            defer { close(fd) }
            let fresh = SymmetricKey(size: .bits256)
            let ok = fresh.withUnsafeBytes { raw -> Bool in
                // 32 bytes to a regular file: one write suffices unless interrupted.
                raw.baseAddress.map { write(fd, $0, raw.count) == raw.count } ?? false
            }
            guard ok, fsync(fd) == 0 else {
                let why = String(cString: strerror(errno))
                unlink(path)
                throw SealedStoreError.sealingKey("cannot write \(path): \(why)")
            }
            return fresh
        }
        guard errno == EEXIST else {
            throw SealedStoreError.sealingKey("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        return try load(path: path)
    }

    private static func load(path: String) throws -> SymmetricKey {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw SealedStoreError.sealingKey("cannot open \(path): \(String(cString: strerror(errno))) (a symlink is refused)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SealedStoreError.sealingKey("cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SealedStoreError.sealingKey("\(path) is not a regular file")
        }
        guard info.st_uid == geteuid() else {
            throw SealedStoreError.sealingKey("\(path) is owned by uid \(info.st_uid), not by this server (uid \(geteuid()))")
        }
        let permissions = info.st_mode & 0o777
        guard permissions & 0o077 == 0 else {
            throw SealedStoreError.sealingKey("\(path) has permissions \(String(permissions, radix: 8)); "
                + "it must not be accessible by group or others (chmod 600 \(path))")
        }
        guard info.st_size == 32 else {
            throw SealedStoreError.sealingKey("\(path) is \(info.st_size) bytes; expected 32. Restore it from a backup; "
                + "deleting it makes every stored app unreadable")
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        defer { Wipe.bytes(&bytes) }
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, 32) }
        guard count == 32 else {
            throw SealedStoreError.sealingKey("cannot read \(path): read \(count) of 32 bytes")
        }
        return SymmetricKey(data: bytes)
    }
}

/// The server's data directory: created 0700 if missing.
enum DataDirectory {
    static func ensure(_ directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw SealedStoreError.sealingKey("data directory \(directory) exists but is not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw SealedStoreError.sealingKey("cannot create data directory \(directory): \(error)")
        }
    }
}
