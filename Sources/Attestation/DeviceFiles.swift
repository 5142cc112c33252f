import Foundation

/// Small helpers over the pseudo-files of attestation devices.
///
/// Gramine's `/dev/attestation/*` and configfs-tsm attributes are files whose reads
/// and writes have side effects, so each access is one open/write/close or one
/// whole read, and every failure names the path.
enum DeviceFiles {
    /// Upper bound on what we read from a device file; real quotes are a few KiB,
    /// SNP reports with certificates tens of KiB.
    static let maxRead = 1 << 20

    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Writes `bytes` in one `write` call on an existing file (no create, no rename:
    /// device attributes must be written in place).
    static func write(_ bytes: [UInt8], to path: String) throws {
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw AttestationError.deviceIO(path: path, reason: "cannot open for writing")
        }
        defer { try? handle.close() }
        do {
            try handle.truncate(atOffset: 0)
        } catch {
            // Device attributes cannot be truncated; regular fixture files can.
        }
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw AttestationError.deviceIO(path: path, reason: "write failed: \(error)")
        }
    }

    /// Reads the whole file, refusing more than ``maxRead`` bytes.
    static func read(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw AttestationError.deviceIO(path: path, reason: "cannot open for reading")
        }
        defer { try? handle.close() }
        let data: Data?
        do {
            data = try handle.read(upToCount: maxRead + 1)
        } catch {
            throw AttestationError.deviceIO(path: path, reason: "read failed: \(error)")
        }
        let bytes = [UInt8](data ?? Data())
        guard bytes.count <= maxRead else {
            throw AttestationError.invalidDeviceOutput(path: path, reason: "more than \(maxRead) bytes")
        }
        return bytes
    }

    /// Reads a short text attribute, trimmed of whitespace.
    static func readText(_ path: String) throws -> String {
        let bytes = try read(path)
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
