import Crypto
import Foundation

/// The bytes of a component to load, read piece by piece so that loading a large file never
/// holds more than a few chunks of it in memory.
public struct ComponentSource: Sendable {
    /// Total size in bytes.
    public let size: Int
    /// A short description for messages (the file path).
    public let label: String
    private let reader: @Sendable (_ offset: Int, _ count: Int) throws -> [UInt8]

    /// Bytes already in memory.
    public init(bytes: [UInt8], label: String = "component") {
        size = bytes.count
        self.label = label
        reader = { offset, count in Array(bytes[offset..<min(bytes.count, offset + count)]) }
    }

    /// A file, read in pieces as they are sent.
    /// - Throws: ``EnclaveClientError/invalidArgument(_:)`` naming the file if it cannot be opened.
    public init(file path: String) throws {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw EnclaveClientError.invalidArgument("cannot read '\(path)': \(error.localizedDescription)")
        }
        guard (attributes[.type] as? FileAttributeType) != .typeDirectory else {
            throw EnclaveClientError.invalidArgument("cannot read '\(path)': it is a directory")
        }
        size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        label = path
        reader = { offset, count in
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw EnclaveClientError.invalidArgument("cannot read '\(path)'")
            }
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: count) ?? Data()
            return Array(data)
        }
    }

    /// `count` bytes at `offset` (fewer at the end).
    public func read(offset: Int, count: Int) throws -> [UInt8] {
        let bytes = try reader(offset, count)
        guard bytes.count == min(count, size - offset) else {
            throw EnclaveClientError.invalidArgument("'\(label)' changed while it was being read")
        }
        return bytes
    }

    /// Lowercase hex SHA-256 of the whole source, read in `pieceSize` pieces.
    public func sha256(pieceSize: Int = 4 << 20) throws -> String {
        var hasher = SHA256()
        var offset = 0
        while offset < size {
            let piece = try read(offset: offset, count: pieceSize)
            hasher.update(data: piece)
            offset += piece.count
        }
        return hasher.finalize().map { byte in byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }.joined()
    }
}
