import EnclaveProtocol

/// What a request asks the server to do, as far as authorization is concerned.
enum ManagementAction: Sendable, Hashable {
    /// Stop the server (`Shutdown`).
    case shutdown
    /// Load a new app (one frame, or `wasm_load_begin` of a streamed load).
    case load
    /// Load a new version of an app over the old one, keeping its key and data (`replace`).
    case replace
    /// Unload an app (destroys a generated key, and with it the app's data).
    case unload
    /// A later step of a streamed load: the upload's id, unguessable and known only to whoever
    /// was authorized to begin it, is its credential.
    case uploadStep
    /// Call an app's export (open, unless the app was loaded with `app_auth`).
    case call
    /// List apps or read a schema.
    case read

    /// The action of a management message.
    init(_ request: ManagementRequest) {
        switch request {
        case .load(let load): self = load.replace ? .replace : .load
        case .upload(.begin(let begin)): self = begin.replace ? .replace : .load
        case .upload: self = .uploadStep
        case .unload: self = .unload
        case .call, .connectCall: self = .call
        case .list, .schema, .mcpTools: self = .read
        }
    }

    /// Operators only, when the server has operators.
    var needsOperator: Bool {
        switch self {
        case .shutdown, .load, .replace, .unload: return true
        case .uploadStep, .call, .read: return false
        }
    }

    /// How the action is named in refusals and in the log.
    var wireName: String {
        switch self {
        case .shutdown: return "Shutdown"
        case .load: return "wasm_load"
        case .replace: return "wasm_load with replace"
        case .unload: return "wasm_unload"
        case .uploadStep: return "a streamed load step"
        case .call: return "wasm_call"
        case .read: return "wasm_list/wasm_schema"
        }
    }
}

/// The one place that decides whether a request may do what it asks. Every transport calls it
/// with the credential the request carried — a frame's `"auth"` beside the message (or
/// `{"Shutdown":{"token"}}`), HTTP's `Authorization: Bearer` — and nothing else.
///
/// Policy: with operators configured, loading, replacing, unloading and shutting down need a
/// valid operator token; calls and reads are open (per-app `app_auth` guards calls separately).
/// Without operators, management is open — the server refuses to start that way on anything
/// but loopback unless told `--insecure-open-management` — and shutdown over the wire is off.
struct ManagementAuthorization: Sendable {
    let operators: OperatorCredentials

    /// Why a request was refused.
    enum Refusal: Error, Sendable, Hashable {
        /// The server has no operators, so nobody may do this over the wire (shutdown).
        case noOperatorConfigured
        /// The request carried no credential.
        case credentialMissing
        /// The credential is no operator's.
        case credentialWrong
    }

    /// The outcome: who was allowed (nil: nobody needed to be), or why not.
    enum Decision: Sendable, Hashable {
        case allowed(operator: String?)
        case refused(Refusal)
    }

    /// Decides `action` for a request that presented `credential`.
    func decide(_ action: ManagementAction, credential: String?) -> Decision {
        guard action.needsOperator else { return .allowed(operator: nil) }
        guard !operators.isEmpty else {
            return action == .shutdown ? .refused(.noOperatorConfigured) : .allowed(operator: nil)
        }
        guard let credential, !credential.isEmpty else { return .refused(.credentialMissing) }
        guard let name = operators.operatorName(presenting: credential) else { return .refused(.credentialWrong) }
        return .allowed(operator: name)
    }

    /// The refusal of `action` for `credential`, or nil when it is allowed.
    func authorize(_ action: ManagementAction, credential: String?) -> Refusal? {
        if case .refused(let refusal) = decide(action, credential: credential) { return refusal }
        return nil
    }

    /// How a frame client sends the credential, for refusal texts.
    static let howToSendInFrames = #"send it as "auth" beside the message, {"auth":"<token>","wasm_load":{…}} (enclave --token, ENCLAVE_TOKEN)"#
    static let howToSendShutdown = #"send {"auth":"<token>","Shutdown":null} or {"Shutdown":{"token":"<token>"}} (enclave shutdown --token)"#

    /// The text a client sees: always starts with `unauthorized: ` and says what to do.
    static func message(_ refusal: Refusal, action: ManagementAction, howToSend: String) -> String {
        switch refusal {
        case .noOperatorConfigured:
            return "unauthorized: \(action.wireName) refused: this server was started without an operator token, "
                + "so it cannot be done over the wire"
        case .credentialMissing:
            return "unauthorized: \(action.wireName) needs an operator token on this server (an operator token is required); \(howToSend)"
        case .credentialWrong:
            return "unauthorized: \(action.wireName) refused: wrong operator token"
        }
    }
}
