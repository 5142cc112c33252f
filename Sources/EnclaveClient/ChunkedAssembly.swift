import Crypto
import EnclaveProtocol

/// Reassembles a chunked response: the `Chunked` head announces the size, the number of `Data`
/// chunks and the SHA-256 of the inner document; the chunks are appended into one buffer and
/// checked against the head when the last arrives.
struct ChunkedAssembly {
    /// The largest chunked response a client accepts unless told otherwise.
    static let defaultLimit = 256 << 20

    let head: ChunkedHead
    private var document: [UInt8] = []
    private var chunksSeen = 0

    init(_ head: ChunkedHead, limit: Int) throws {
        guard head.size <= limit else {
            throw EnclaveClientError.malformedResponse("chunked response of \(head.size) bytes exceeds this client's \(limit)-byte limit")
        }
        guard head.chunks > 0, head.chunks <= head.size else {
            throw EnclaveClientError.malformedResponse("chunked response head announces \(head.chunks) chunks for \(head.size) bytes")
        }
        self.head = head
        document.reserveCapacity(head.size)
    }

    /// Adds one chunk; returns the document once the last chunk has arrived and checked out.
    mutating func add(_ chunk: [UInt8]) throws -> [UInt8]? {
        chunksSeen += 1
        guard document.count + chunk.count <= head.size else {
            throw EnclaveClientError.malformedResponse("chunked response runs past its announced \(head.size) bytes")
        }
        document.append(contentsOf: chunk)
        guard chunksSeen == head.chunks else { return nil }
        guard document.count == head.size else {
            throw EnclaveClientError.malformedResponse("chunked response ended at \(document.count) of \(head.size) bytes")
        }
        let digest = SHA256.hash(data: document).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
        guard digest == head.sha256.lowercased() else {
            throw EnclaveClientError.malformedResponse("chunked response does not match its SHA-256 (\(digest) vs \(head.sha256))")
        }
        return document
    }
}
