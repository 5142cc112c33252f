// SymmetricKey is immutable but not marked Sendable in swift-crypto 3.12; sharing it is safe.
@preconcurrency import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// This node's copy of the cluster key, sealed under its own platform sealing key in the data
/// directory: `"EOSCKEY1"` ‖ nonce ‖ AES-256-GCM(HKDF(platform key), cluster key) ‖ tag. On
/// hardware the platform key is bound to this CPU and enclave, so the file opens nowhere else;
/// in simulated mode it is the key file beside it, and protects nothing against the host.
enum ClusterKeyFile {
    static let fileName = "cluster-key.sealed"
    static let magic = Array("EOSCKEY1".utf8)
    static let sealInfo = Array("enclaveos/cluster-key/seal/v1".utf8)

    static func path(in directory: String) -> String {
        (directory as NSString).appendingPathComponent(fileName)
    }

    /// The sealed key in `directory`, or nil when the node has none yet.
    /// - Throws: `ClusterError.keyFile` when the file exists but does not open (tampered, or
    ///   sealed under another platform key): never silently replaced.
    static func load(directory: String, platformKey: SymmetricKey) throws -> SymmetricKey? {
        let path = path(in: directory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClusterError.keyFile(path: path, reason: "cannot be read")
        }
        let bytes = [UInt8](data)
        guard bytes.count == magic.count + 12 + 32 + 16, bytes.starts(with: magic) else {
            throw ClusterError.keyFile(path: path, reason: "is \(bytes.count) bytes and not a sealed cluster key")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: bytes.dropFirst(magic.count))
            let opened = try AES.GCM.open(box, using: sealingKey(platformKey), authenticating: magic)
            return SymmetricKey(data: opened)
        } catch {
            throw ClusterError.keyFile(path: path, reason: "does not open under this node's platform sealing key "
                + "(tampered, or copied from another node); move it away and start with --join to receive the key again")
        }
    }

    /// Seals `key` into `directory`, atomically (temporary file, fsync, rename), mode 0600.
    static func store(_ key: SymmetricKey, directory: String, platformKey: SymmetricKey) throws {
        let path = path(in: directory)
        let sealed: [UInt8]
        do {
            let box = try AES.GCM.seal(key.withUnsafeBytes { Array($0) }, using: sealingKey(platformKey), authenticating: magic)
            guard let combined = box.combined else { throw ClusterError.keyFile(path: path, reason: "sealing produced no bytes") }
            sealed = magic + Array(combined)
        } catch let error as ClusterError {
            throw error
        } catch {
            throw ClusterError.keyFile(path: path, reason: "cannot seal: \(error)")
        }
        let temporary = path + ".tmp"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ClusterError.keyFile(path: temporary, reason: String(cString: strerror(errno)))
        }
        let written = sealed.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == sealed.count, synced, rename(temporary, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            throw ClusterError.keyFile(path: path, reason: "cannot write: \(why)")
        }
        // The rename is durable once the directory is synced.
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    private static func sealingKey(_ platformKey: SymmetricKey) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: platformKey, info: sealInfo, outputByteCount: 32)
    }
}
