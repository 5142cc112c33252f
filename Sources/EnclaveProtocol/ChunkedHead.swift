/// The head of a response sent in several frames: `{"Chunked":{"size":N,"chunks":K,"sha256":H}}`,
/// then K frames `{"Data":"<base64>"}` whose decoded bytes, concatenated, are the N-byte inner
/// document with SHA-256 H. Sent only for requests that allowed it (`wasm_call` with
/// `"chunked_result":true`), never to compat clients.
public struct ChunkedHead: Hashable, Sendable {
    /// Bytes of the whole inner document.
    public var size: Int
    /// How many `Data` frames follow.
    public var chunks: Int
    /// Lowercase hex SHA-256 of the inner document.
    public var sha256: String

    public init(size: Int, chunks: Int, sha256: String) {
        self.size = size
        self.chunks = chunks
        self.sha256 = sha256
    }

    /// The `Chunked` object.
    public func json() -> JSON {
        .object(["size": .uint(UInt64(size)), "chunks": .uint(UInt64(chunks)), "sha256": .string(sha256)])
    }

    /// Reads a `Chunked` object; nil when a field is missing or out of range.
    public init?(json: JSON) {
        guard let size = json["size"]?.numberValue?.uint64, size <= UInt64(Int.max),
              let chunks = json["chunks"]?.numberValue?.uint64, chunks <= UInt64(Int.max),
              let sha256 = json["sha256"]?.stringValue
        else { return nil }
        self.init(size: Int(size), chunks: Int(chunks), sha256: sha256)
    }
}
