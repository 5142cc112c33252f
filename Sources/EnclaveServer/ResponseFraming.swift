import Attestation
import Crypto
import EnclaveProtocol
import NIOCore

/// How an inner response document reaches the client: in one `Data` frame when it fits, in a
/// chunked response (`Chunked` head, then `Data` chunks) when it does not and the request allowed
/// that, else refused with the sizes named. One place decides, for every management response.
enum ResponseFraming {
    /// Frames the inner document `inner` answering a request whose bytes were `encoding`.
    /// - Parameters:
    ///   - allowChunks: the request said it reads chunked responses (`chunked_result`).
    ///   - resultLimit: for call results, the server's cap on the inner document.
    static func frame(_ inner: [UInt8], encoding: ByteEncoding, allowChunks: Bool, resultLimit: Int?) -> DispatchResult {
        if let resultLimit, inner.count > resultLimit {
            return refusal(resultLimitRefusal(size: inner.count, limit: resultLimit), encoding)
        }
        let frameLength = Response.dataEnvelopeLength(of: inner, as: encoding)
        if frameLength <= Frame.maxPayload {
            return DispatchResult(response: .data(inner), encoding: encoding)
        }
        guard allowChunks else {
            let what = resultLimit == nil ? "response" : "call failed: result"
            return refusal("\(what) of \(inner.count) bytes exceeds the \(Frame.maxPayload)-byte frame limit "
                           + "(\(frameLength) bytes as a Data frame); send \"chunked_result\":true with wasm_call to receive it in chunks",
                           encoding)
        }
        let body = ChunkedBody(document: inner)
        let digest = Hex.encode(SHA256.hash(data: inner))
        let head = ChunkedHead(size: inner.count, chunks: body.chunkCount, sha256: digest)
        return DispatchResult(response: .chunked(head), encoding: .base64, chunkedBody: body)
    }

    /// The refusal of a call result over the server's result limit (every transport).
    static func resultLimitRefusal(size: Int, limit: Int) -> String {
        "call failed: result of \(size) bytes exceeds the \(limit)-byte result limit of this server"
    }

    private static func refusal(_ message: String, _ encoding: ByteEncoding) -> DispatchResult {
        DispatchResult(response: .data(ManagementResponse.error(message).encoded()), encoding: encoding)
    }
}

/// The document of a chunked response, cut into slices that each fit one `{"Data":"<base64>"}`
/// frame; frames are written one slice at a time, straight from the document.
struct ChunkedBody: Sendable {
    /// Raw bytes per chunk: the largest multiple of 3 whose base64 fits a frame with its envelope.
    static let chunkBytes = (Frame.maxPayload - 16) / 4 * 3

    let document: [UInt8]

    var chunkCount: Int { (document.count + Self.chunkBytes - 1) / Self.chunkBytes }

    /// Calls `body` with each slice, in order.
    func forEachChunk(_ body: (ArraySlice<UInt8>) -> Void) {
        var start = 0
        while start < document.count {
            let end = min(start + Self.chunkBytes, document.count)
            body(document[start..<end])
            start = end
        }
    }

    /// The frame `{"Data":"<base64 of chunk>"}`, length prefix included.
    static func frame(_ chunk: ArraySlice<UInt8>, allocator: ByteBufferAllocator) -> ByteBuffer {
        let encodedLength = Base64.encodedLength(chunk.count)
        let prefix = Array(#"{"Data":""#.utf8), suffix = Array(#""}"#.utf8)
        let payloadLength = prefix.count + encodedLength + suffix.count
        var buffer = allocator.buffer(capacity: 4 + payloadLength)
        buffer.writeInteger(UInt32(payloadLength), endianness: .big)
        buffer.writeBytes(prefix)
        chunk.withUnsafeBytes { input in
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: encodedLength) { out in
                Base64.write(input, into: out)
            }
        }
        buffer.writeBytes(suffix)
        return buffer
    }
}
