import ArgumentParser
import EnclaveClient

/// The documented exit statuses of `enclave` (README, `enclave --help`), so a script can tell
/// a refused request from an unreachable or unverified server.
enum ExitStatus: Int32, CaseIterable {
    /// Everything worked.
    case success = 0
    /// The server answered, with an error (a failed call, an unknown app, an `Error` frame).
    case remoteError = 1
    /// The server's attested certificate failed verification; nothing was sent to it.
    case verificationFailed = 2
    /// No usable connection: refused, TLS failed, closed, timed out, or not the protocol.
    case connectionFailed = 3
    /// The command line itself is wrong (unknown command or option, bad value, unreadable file).
    case usage = 64

    /// One line per status, for `--help` and the README.
    static let summary = """
        Exit status: 0 success, 1 the server answered with an error, 2 attestation verification \
        failed, 3 no usable connection (refused, TLS, closed, timed out, not the protocol), \
        64 usage (unknown command or option, bad value, unreadable file).
        """

    /// The status for an error a command failed with.
    static func of(_ error: Error) -> ExitStatus {
        switch error {
        case is AttestationRefused: return .verificationFailed
        case let client as EnclaveClientError:
            switch client {
            case .connectionFailed, .tlsHandshakeFailed, .connectionClosed, .timedOut, .malformedResponse: return .connectionFailed
            case .serverError, .requestFailed, .unexpectedResponse: return .remoteError
            case .invalidArgument: return .usage
            }
        case is ValidationError: return .usage
        default: return .remoteError
        }
    }

    /// ArgumentParser's exit code for this status.
    var exitCode: ExitCode { ExitCode(rawValue) }
}
