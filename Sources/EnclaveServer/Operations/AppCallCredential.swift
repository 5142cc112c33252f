import Attestation
import Crypto

/// The token an app was loaded with (`app_auth`): only callers that present it may call the
/// app. Kept as its SHA-256 (in memory and in the app's sealed record); a presented token is
/// hashed and compared without an early exit.
struct AppCallCredential: Sendable, Hashable {
    let digest: [UInt8]

    /// The credential for `token` (as given at load).
    init(token: String) {
        digest = Array(SHA256.hash(data: Array(token.utf8)))
    }

    /// The credential stored as lowercase hex; nil for anything that is not 32 bytes of hex.
    init?(hex: String) {
        guard let bytes = Attestation.Hex.decode(hex), bytes.count == 32 else { return nil }
        digest = bytes
    }

    /// The credential of a stored record: a digest that does not decode (never written by this
    /// server; records are authenticated) admits nobody rather than everybody.
    init(stored hex: String) {
        digest = AppCallCredential(hex: hex)?.digest ?? [UInt8](repeating: 0, count: 32)
    }

    /// Lowercase hex, as the app record keeps it.
    var hex: String { Attestation.Hex.encode(digest) }

    /// Whether `token` is this credential's.
    func admits(_ token: String) -> Bool {
        let presented = Array(SHA256.hash(data: Array(token.utf8)))
        var difference: UInt8 = 0
        for index in 0..<presented.count { difference |= presented[index] ^ digest[index] }
        return difference == 0
    }

    /// Why a call of `app` presenting `token` is refused, or nil when it may go ahead. Both
    /// texts start with `unauthorized: ` and say where the token goes.
    static func refusal(app: LoadedApp, presented token: String?) -> String? {
        guard let credential = app.callCredential else { return nil }
        guard let token, !token.isEmpty else {
            return "unauthorized: app '\(app.name)' answers only callers that present its app_auth token; send it as "
                + #""app_auth" in wasm_call (X-App-Auth over HTTP)"#
        }
        return credential.admits(token) ? nil : "unauthorized: app_auth is not valid for app '\(app.name)'"
    }
}
