import EnclaveProtocol
import Foundation
import NIOCore

/// The one exchange on the cluster port, after the mutual RA-TLS handshake has verified both
/// sides: the joining node asks, the member answers with the cluster key or a refusal.
///
/// Frames are a 4-byte big-endian length and that many bytes of JSON, at most `maxFrameBytes`:
/// - request `{"cluster_key_request":{"key_check":"<hex>"}}`: the check value the joiner read
///   from the database, so a member of another cluster (another database) refuses;
/// - answer `{"cluster_key":"<base64 of 32 bytes>"}` or `{"error":"<why>"}`.
enum ClusterKeyExchange {
    static let maxFrameBytes = 4096

    struct Request: Codable, Equatable {
        struct Body: Codable, Equatable {
            var keyCheck: String
            enum CodingKeys: String, CodingKey { case keyCheck = "key_check" }
        }
        var request: Body
        enum CodingKeys: String, CodingKey { case request = "cluster_key_request" }
    }

    struct Answer: Codable, Equatable {
        var clusterKey: String?
        var error: String?
        enum CodingKeys: String, CodingKey {
            case clusterKey = "cluster_key"
            case error
        }
    }

    static func encode<T: Encodable>(_ value: T) throws -> ByteBuffer {
        let json = try JSONEncoder().encode(value)
        var buffer = ByteBuffer()
        buffer.writeFrame(json)
        return buffer
    }

    static func decode<T: Decodable>(_ type: T.Type, from payload: ByteBuffer) throws -> T {
        try JSONDecoder().decode(type, from: Data(payload.readableBytesView))
    }
}

extension FrameCodec.Decoder {
    /// The cluster exchange's frames: the enclave protocol's framing, at most `maxFrameBytes`.
    static var cluster: Self { Self(maxPayload: ClusterKeyExchange.maxFrameBytes) }
}
