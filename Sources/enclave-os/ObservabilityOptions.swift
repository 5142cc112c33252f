import ArgumentParser
import EnclaveServer
import Logging

/// `--log-level`, `--log-format` and `--metrics-listen`: what the server writes to standard
/// error, and where plain-HTTP scrapers read `/metrics`.
struct ObservabilityOptions: ParsableArguments {
    @Option(name: .customLong("log-level"),
            help: "Least severe entries written: trace, debug, info, notice, warning, error or critical. 'debug' adds a line per successful call and per connection opened or closed.")
    var logLevel: String = "info"

    @Option(name: .customLong("log-format"),
            help: "'text': one readable line per entry (the level in front unless info; metadata as key=value). 'json': one JSON object per line with timestamp, level, label, message and metadata.")
    var logFormat: String = "text"

    @Option(name: .customLong("metrics-listen"),
            help: ArgumentHelp("Also serve GET /metrics over plain HTTP (no TLS, no attestation) on this address, for scrapers that cannot do RA-TLS. Loopback only unless --metrics-listen-any-address.",
                               valueName: "HOST:PORT"))
    var metricsListen: String?

    @Flag(name: .customLong("metrics-listen-any-address"),
          help: "Allow --metrics-listen on an address other than loopback: anyone who reaches it reads the metrics (app names, call counts) in clear text.")
    var metricsListenAnyAddress = false

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got '\(logLevel)'")
        }
        guard LogFormat(rawValue: logFormat) != nil else {
            throw ValidationError("--log-format must be text or json, got '\(logFormat)'")
        }
        _ = try metricsEndpoint()
    }

    /// The logger of the whole process: standard error, at the chosen level and format.
    func makeLogger() -> Logger {
        ForwardingLogHandler.standardError(label: "enclave-os", logLevel: Logger.Level(rawValue: logLevel) ?? .info,
                                           format: LogFormat(rawValue: logFormat) ?? .text)
    }

    /// The parsed `--metrics-listen`, refused off loopback without the flag.
    func metricsEndpoint() throws -> MetricsEndpoint? {
        guard let metricsListen else { return nil }
        let endpoint: MetricsEndpoint
        do {
            endpoint = try MetricsEndpoint(parsing: metricsListen)
        } catch {
            throw ValidationError("--metrics-listen: \(error)")
        }
        if !endpoint.isLoopback, !metricsListenAnyAddress {
            throw ValidationError("--metrics-listen \(metricsListen) is not a loopback address: the metrics would be readable "
                + "in clear text by anyone who reaches it. Use 127.0.0.1 or ::1, or accept this with --metrics-listen-any-address")
        }
        return endpoint
    }
}
