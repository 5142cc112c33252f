import Attestation

/// The names a load gives an app, checked before anything else is done with them: the app name
/// clients address it by, and the TLS hostname its certificate is served under (by default the
/// name). A name a certificate or SNI cannot carry is refused with the reason, rather than
/// accepted and then left without a certificate.
enum AppNaming {
    /// Why `name` cannot name a new app, or nil. The wire already limits names to 1...255 bytes
    /// without control characters; a new app's name also may not hold format characters
    /// (bidirectional overrides, zero-width joiners) or line separators, which would make two
    /// different names look alike in lists and logs. Existing apps keep the older rule, so they
    /// can still be called and unloaded.
    static func problem(withName name: String) -> String? {
        for scalar in name.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse:
                return "wasm_load.name: contains the invisible or control character U+\(String(scalar.value, radix: 16, uppercase: true))"
            default:
                continue
            }
        }
        return nil
    }

    /// The hostname an app is served under: `requested`, or its name when none is given.
    /// - Returns: the hostname, or the refusal naming the field and why it cannot be served.
    static func hostname(_ requested: String?, name: String) -> Result<String, HostnameRefusal> {
        let hostname = requested ?? name
        guard let problem = HostnameRule.problem(with: hostname) else { return .success(hostname) }
        if requested == nil {
            return .failure(HostnameRefusal("wasm_load.name: '\(LogText.field(name, maxBytes: 64))' cannot also be the app's "
                + "TLS hostname, which defaults to the name: \(problem); give a hostname (wasm_load.hostname, enclave load --hostname)"))
        }
        return .failure(HostnameRefusal("wasm_load.hostname: '\(LogText.field(hostname, maxBytes: 64))' cannot be a TLS "
            + "server name: \(problem)"))
    }

    /// A hostname refused, with the message clients see.
    struct HostnameRefusal: Error, Sendable {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// Hostnames compare without case, as SNI does.
    static func sameHostname(_ a: String, _ b: String) -> Bool {
        a.lowercased() == b.lowercased()
    }
}
