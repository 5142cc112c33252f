import Crypto
import EnclaveProtocol

/// What a request asks the server to do, as far as authorization is concerned.
enum ManagementAction: Sendable, Hashable {
    /// Stop the server (`Shutdown`, `POST /shutdown`).
    case shutdown
    /// Load, reload or stream in an app.
    case load
    /// Unload an app (destroys a generated key).
    case unload
    /// Call an app's export.
    case call
    /// List apps, read a schema or tool manifest.
    case read

    /// The action of a management message.
    init(_ request: ManagementRequest) {
        switch request {
        case .load, .upload: self = .load
        case .unload: self = .unload
        case .call, .connectCall: self = .call
        case .list, .schema, .mcpTools: self = .read
        }
    }
}

/// The one place that decides whether a request may do what it asks. Every transport calls it
/// with the credential the request carried: a frame's `{"Shutdown":{"token"}}` or the inner
/// document's `"auth"`, or HTTP's `Authorization: Bearer`. Transports phrase the refusal.
///
/// Today's policy: stopping the server needs the operator token the server was started with
/// (`--operator-token`); every other action is open, as in the original without OIDC.
struct ManagementAuthorization: Sendable {
    let operatorToken: String?

    /// Why a request was refused.
    enum Refusal: Sendable, Hashable {
        /// The server has no operator token, so nobody may do this over the wire.
        case noOperatorConfigured
        /// The request carried no credential.
        case credentialMissing
        /// The credential is not the operator's.
        case credentialWrong
    }

    func authorize(_ action: ManagementAction, credential: String?) -> Refusal? {
        switch action {
        case .shutdown:
            guard let operatorToken else { return .noOperatorConfigured }
            guard let credential else { return .credentialMissing }
            return Self.constantTimeEqual(credential, operatorToken) ? nil : .credentialWrong
        case .load, .unload, .call, .read:
            return nil
        }
    }

    /// Compares the SHA-256 digests of both strings without an early exit, so neither the
    /// token's content nor its length leaks through response timing.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let left = Array(SHA256.hash(data: Array(a.utf8)))
        let right = Array(SHA256.hash(data: Array(b.utf8)))
        var difference: UInt8 = 0
        for index in 0..<left.count { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
