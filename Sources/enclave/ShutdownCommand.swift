import ArgumentParser
import EnclaveClient

/// `enclave shutdown`: ask the server to stop, with the operator token.
struct Shutdown: SessionCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask the server to shut down (needs the operator token: --token or ENCLAVE_TOKEN).",
        discussion: """
            The server must have been started with --operator-token (or ENCLAVE_OPERATOR_TOKEN) \
            and the token must match; anything else is refused (exit status 1).
            """
    )
    @OptionGroup var options: ConnectionOptions

    func execute(in session: Session, json: Bool) throws {
        guard let token = session.token else {
            throw EnclaveClientError.invalidArgument("shutdown needs the operator token: --token TOKEN or ENCLAVE_TOKEN")
        }
        try session.connection.shutdown(token: token)
        print(json ? "\"Ok\"" : "shutdown accepted by \(session.connection.host):\(session.connection.port)")
    }
}
