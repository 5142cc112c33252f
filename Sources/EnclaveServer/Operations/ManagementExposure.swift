import Foundation

/// Secure by default: who can reach management depends on where the server listens. On
/// loopback, open management is the local demo; anywhere else it would let anyone who can open
/// a TLS connection load code into the enclave and unload apps (destroying their keys), so the
/// server refuses to start that way unless the operator says `--insecure-open-management`.
enum ManagementExposure {
    /// The authorization a server with `configuration` enforces, after checking that its
    /// exposure is acceptable.
    /// - Throws: `ServerError.invalidOperators` for unusable credentials,
    ///   `ServerError.openManagementOffLoopback` for open management on a network address.
    static func authorization(for configuration: ServerConfiguration) throws -> ManagementAuthorization {
        var operators = configuration.operators
        do {
            if let token = configuration.operatorToken {
                operators = try operators.merging(OperatorCredentials([(name: "operator", token: token)]))
            }
        } catch {
            throw ServerError.invalidOperators("\(error)")
        }
        if operators.isEmpty, !isLoopback(configuration.host) {
            guard configuration.insecureOpenManagement else {
                throw ServerError.openManagementOffLoopback(configuration.host)
            }
            let banner = String(repeating: "!", count: 78)
            configuration.logWarning(banner)
            configuration.logWarning("INSECURE OPEN MANAGEMENT on \(configuration.host): no operator credentials, so ANYONE "
                + "who can reach this address can load, replace and unload apps (unloading destroys an app's key and "
                + "its data). Started with --insecure-open-management.")
            configuration.logWarning(banner)
        }
        return ManagementAuthorization(operators: operators)
    }

    /// Whether `host` is a loopback address (127.0.0.0/8, ::1) or `localhost`.
    static func isLoopback(_ host: String) -> Bool {
        let trimmed = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if trimmed.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, trimmed, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, trimmed, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
        }
        return false
    }
}
