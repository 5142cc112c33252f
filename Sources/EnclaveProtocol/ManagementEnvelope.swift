/// A management message with the operator credential that came with it.
///
/// Frames carry the credential inside the `Data` document, beside the message, as the original
/// server's later clients send it: `{"auth":"<token>","wasm_load":{…}}`. HTTP carries it in
/// `Authorization: Bearer <token>`. Either way the server decides with the same credential.
public struct ManagementEnvelope: Hashable, Sendable {
    /// The message.
    public var request: ManagementRequest
    /// The operator token sent beside it (`"auth"`), if any.
    public var auth: String?

    /// The longest credential accepted: tokens are short secrets, and a megabyte "token"
    /// would only cost hashing time.
    public static let maxCredentialBytes = 4096

    public init(request: ManagementRequest, auth: String? = nil) {
        self.request = request
        self.auth = auth
    }

    /// The inner document: the message's own JSON with `"auth"` first when there is one.
    public func json() -> JSON {
        guard let auth, case .object(let message) = request.json() else { return request.json() }
        return .object(JSONObject(pairs: [.init(key: "auth", value: .string(auth))] + message.pairs))
    }

    /// Reads an `"auth"` value: absent or null is none; anything but a short string is an error
    /// naming the field.
    static func credential(_ value: JSON?) throws(ManagementError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let token)?:
            guard !token.isEmpty else { throw ManagementError("auth: must not be empty") }
            guard token.utf8.count <= maxCredentialBytes else {
                throw ManagementError("auth: longer than \(maxCredentialBytes) bytes")
            }
            return token
        default:
            throw ManagementError("auth: expected a string (the operator token)")
        }
    }
}
