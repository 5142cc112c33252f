import EnclaveProtocol

/// A named-parameter call as the HTTP routes read it (`/rpc`, the MCP shim, `/mcp` `tools/call`):
/// the parameters as a JSON object and the caller's `app_auth` token for an app loaded with one.
///
/// The token is the `X-App-Auth` header, else a string `app_auth` in the body (where the
/// original's clients put it); the body's transport-only fields (`app_auth`, `billing_approved`)
/// are not parameters. A token over the credential cap is refused (400) before anything is
/// looked up.
struct NamedParameterCall: Sendable {
    let parameters: JSON
    let appAuth: String?

    /// Fields of the original's request bodies that travel with the call but are not parameters.
    static let transportFields: Set<String> = ["app_auth", "billing_approved"]

    enum Parsed {
        case call(NamedParameterCall)
        case refused(HTTPAnswer)
    }

    /// The request body as named parameters (an empty body: none) with the caller's token.
    static func parse(_ request: HTTPRequest) -> Parsed {
        guard !request.body.isEmpty else { return withToken(request, parameters: .object([:]), bodyToken: nil) }
        let json: JSON
        do {
            json = try JSON.parse(request.body)
        } catch {
            return .refused(.error(.badRequest, "invalid JSON body: \(error)"))
        }
        guard let object = json.objectValue else {
            return .refused(.error(.badRequest, "expected a JSON object of named parameters"))
        }
        return withToken(request, parameters: .object(JSONObject(pairs: object.pairs.filter { !transportFields.contains($0.key) })),
                         bodyToken: object["app_auth"]?.stringValue)
    }

    /// Parameters the caller's protocol already parsed (MCP's `arguments`, whose body is a
    /// JSON-RPC message), with the token of the `X-App-Auth` header only.
    static func parse(_ request: HTTPRequest, parameters: JSON) -> Parsed {
        withToken(request, parameters: parameters, bodyToken: nil)
    }

    private static func withToken(_ request: HTTPRequest, parameters: JSON, bodyToken: String?) -> Parsed {
        guard let token = request.header(HTTPWire.appAuthHeader) ?? bodyToken else {
            return .call(NamedParameterCall(parameters: parameters, appAuth: nil))
        }
        guard token.utf8.count <= ManagementEnvelope.maxCredentialBytes else {
            return .refused(.error(.badRequest, "app_auth: longer than \(ManagementEnvelope.maxCredentialBytes) bytes"))
        }
        return .call(NamedParameterCall(parameters: parameters, appAuth: token))
    }
}
