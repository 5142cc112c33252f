import EnclaveClient
import EnclaveProtocol
import NIOCore

/// A connection plus per-connection caches, used by one-shot subcommands and by the shell.
final class Session {
    private(set) var connection: EnclaveConnection
    /// The operator token (`--token` or `ENCLAVE_TOKEN`), sent beside loads, replaces, unloads and shutdowns.
    let token: String?
    /// Export signatures by app, so repeated `call`s in the shell fetch each schema once.
    private var schemas: [String: AppSchema] = [:]
    /// How to connect again (the shell, after the server closed an idle connection).
    private let options: ConnectionOptions?

    init(connection: EnclaveConnection, token: String?, options: ConnectionOptions? = nil) {
        self.connection = connection
        self.token = token
        self.options = options
    }

    /// Connects as `options` say.
    static func connect(_ options: ConnectionOptions) throws -> Session {
        let endpoint = try options.endpoint()
        return Session(connection: try open(options), token: endpoint.token, options: options)
    }

    private static func open(_ options: ConnectionOptions) throws -> EnclaveConnection {
        let endpoint = try options.endpoint()
        return try EnclaveConnection.connect(
            host: endpoint.host, port: endpoint.port, serverName: options.serverName, verification: try options.verification(),
            protocol: options.wireProtocol)
    }

    /// Replaces a connection the server closed (its idle timeout, a restart) with a new one,
    /// verified as the first was; false when `error` is not a closed connection.
    func reconnect(after error: Error) -> Bool {
        guard let options, let channelError = error as? ChannelError,
              channelError == .ioOnClosedChannel || channelError == .alreadyClosed || channelError == .eof else { return false }
        guard let fresh = try? Self.open(options) else { return false }
        connection.close()
        connection = fresh
        schemas = [:]
        return true
    }

    func close() {
        connection.close()
    }

    /// The signature of `app`, cached; nil if the server has no `wasm_schema` for it.
    func schema(app: String) throws -> AppSchema {
        if let cached = schemas[app] { return cached }
        let schema = try connection.schema(app: app)
        schemas[app] = schema
        return schema
    }

    /// Forgets what was cached about `app` (after load/unload, its exports may differ).
    func invalidate(app: String) {
        schemas[app] = nil
    }

    /// Sends a management document and returns the inner response; a `status: error` answer
    /// is printed (raw if `json`) and thrown so the command exits non-zero.
    func management(_ message: JSON, json: Bool) throws -> JSON {
        let response = try connection.management(message)
        if response["status"]?.stringValue == "error" {
            if json { print(response.serializedString) }
            throw EnclaveClientError.requestFailed(response["message"]?.stringValue ?? "error without a message")
        }
        if json { print(response.serializedString) }
        return response
    }
}
