import ArgumentParser
import BuildInfo
import Dispatch
import EnclaveServer
import Egress
import Foundation

/// `enclave-os`: serve EnclaveOS over TLS 1.3 until shut down.
@main
struct EnclaveOSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enclave-os",
        abstract: "Run WebAssembly component apps behind a TLS 1.3 framed-JSON protocol.",
        version: BuildInfo.versionLine
    )

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "TCP port to listen on (0 picks a free one).")
    var port: Int = 8443

    @Option(name: .customLong("operator-token"),
            help: "Secret that authorises a Shutdown request (also read from ENCLAVE_OPERATOR_TOKEN). Without one, Shutdown is refused.")
    var operatorToken: String?

    @Option(name: .customLong("max-fuel"), help: "Fuel per call for apps that set no max_fuel of their own.")
    var maxFuel: UInt64 = 10_000_000

    @Option(name: .customLong("max-memory-mib"), help: "Linear memory cap per instance, in MiB.")
    var maxMemoryMiB: Int = 64

    @Option(name: .customLong("max-concurrent-calls"), help: "Calls executing at once; more wait their turn.")
    var maxConcurrentCalls: Int = 8

    @Flag(name: .customLong("fresh-instances"),
          help: "Instantiate every app afresh for every call (constructors run each time) instead of resetting a post-instantiation snapshot. Apps can ask for this themselves with wasm_load's fresh_instances.")
    var freshInstances = false

    @Option(name: .customLong("max-component-mib"), help: "Largest component accepted by a load (one-frame or streamed), in MiB.")
    var maxComponentMiB: Int = 64

    @Option(name: .customLong("max-uploads"), help: "Streamed loads in progress at once.")
    var maxUploads: Int = 8

    @Option(name: .customLong("max-upload-mib"), help: "Sum of the sizes of the streamed loads in progress, in MiB.")
    var maxUploadMiB: Int = 256

    @Option(name: .customLong("upload-timeout"), help: "Seconds without a chunk after which a streamed load is dropped.")
    var uploadTimeout: Int = 60

    @Option(name: .customLong("max-buffered-request-mib"),
            help: "Request bytes held in memory across all connections, in MiB; clients over it wait their turn.")
    var maxBufferedRequestMiB: Int = 128

    @Option(name: .customLong("max-result-mib"), help: "Largest result a call may return (its JSON), in MiB.")
    var maxResultMiB: Int = 64

    @Option(name: .customLong("data-dir"),
            help: "Directory of the sealed store: loaded apps, their keys and data survive restarts there (created 0700 if missing).")
    var dataDir: String = "./enclave-data"

    @Option(help: "Attestation backend: \(AttestationSetup.providerNames.joined(separator: ", ")). Default: detect (Gramine's /dev/attestation, then configfs-tsm, else simulated), logged loudly.")
    var attestation: String?

    @Option(name: .customLong("egress-ca-bundle"),
            help: "PEM trust anchors for apps' HTTPS egress, read once at start; their SHA-256 is attested in every certificate (OID 1.3.6.1.4.1.65230.2.1). Default: the system's Mozilla bundle.")
    var egressCABundle: String?

    @Option(name: .customLong("ca-cert"), help: "PEM certificate of an operator CA (an intermediate) that signs the RA-TLS leaves; served as [leaf, CA]. Needs --ca-key.")
    var caCert: String?

    @Option(name: .customLong("ca-key"), help: "PEM ECDSA (P-256 or P-384) private key of --ca-cert.")
    var caKey: String?

    @Option(name: .customLong("egress-resolve"),
            help: ArgumentHelp("Connect apps' HTTPS requests for HOST:PORT to ADDR:PORT instead (like curl --resolve; TLS still checks HOST). Repeatable.",
                               valueName: "HOST:PORT=ADDR:PORT"))
    var egressResolve: [String] = []

    mutating func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
        guard maxFuel > 0 else { throw ValidationError("--max-fuel must be positive") }
        guard maxMemoryMiB > 0, maxMemoryMiB <= 4096 else { throw ValidationError("--max-memory-mib must be between 1 and 4096") }
        guard maxConcurrentCalls > 0 else { throw ValidationError("--max-concurrent-calls must be positive") }
        guard (1...2048).contains(maxComponentMiB) else { throw ValidationError("--max-component-mib must be between 1 and 2048") }
        guard maxUploads > 0 else { throw ValidationError("--max-uploads must be positive") }
        guard maxUploadMiB >= maxComponentMiB else {
            throw ValidationError("--max-upload-mib (\(maxUploadMiB)) must be at least --max-component-mib (\(maxComponentMiB))")
        }
        guard uploadTimeout > 0 else { throw ValidationError("--upload-timeout must be positive") }
        guard maxBufferedRequestMiB >= 16 else {
            throw ValidationError("--max-buffered-request-mib must be at least 16 (one full frame)")
        }
        guard (1...4096).contains(maxResultMiB) else { throw ValidationError("--max-result-mib must be between 1 and 4096") }
        if let name = attestation, !AttestationSetup.providerNames.contains(name) {
            throw ValidationError("--attestation must be one of \(AttestationSetup.providerNames.joined(separator: ", ")), got '\(name)'")
        }
        if let token = operatorToken, token.isEmpty { throw ValidationError("--operator-token must not be empty") }
        guard !dataDir.isEmpty else { throw ValidationError("--data-dir must not be empty") }
    }

    func run() async throws {
        // Before the store is opened: a taken port is named now, not after restoring every app.
        do {
            try PortProbe.checkAvailable(host: host, port: port)
        } catch {
            log("error: \(error)")
            throw ExitCode.failure
        }
        let environmentToken = ProcessInfo.processInfo.environment["ENCLAVE_OPERATOR_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        var configuration = ServerConfiguration(
            host: host,
            port: port,
            operatorToken: operatorToken ?? environmentToken,
            defaultFuel: maxFuel,
            maxMemoryBytes: maxMemoryMiB << 20,
            maxConcurrentCalls: maxConcurrentCalls,
            eventLoopThreads: ProcessInfo.processInfo.activeProcessorCount
        )
        configuration.dataDirectory = dataDir
        configuration.freshInstances = freshInstances
        configuration.uploadLimits = UploadLimits(maxComponentBytes: maxComponentMiB << 20, maxUploads: maxUploads,
                                                  maxUploadBytes: maxUploadMiB << 20, idleTimeoutSeconds: uploadTimeout)
        configuration.maxBufferedRequestBytes = maxBufferedRequestMiB << 20
        configuration.maxResultBytes = maxResultMiB << 20
        let egress = try makeEgress()
        configuration.egress = egress
        let registry = AppRegistry()
        var setup = AttestationSetup(providerName: attestation, egressTrust: egress?.trustBundle, hostnames: ["localhost"])
        switch (caCert, caKey) {
        case (let certificate?, let key?): setup.operatorCA = (certificate, key)
        case (nil, nil): break
        default: throw ValidationError("--ca-cert and --ca-key go together")
        }
        let identity = try setup.makeIdentity(registry: registry, log: { log($0) })
        let server = EnclaveServer(configuration: configuration, identity: identity, registry: registry)
        defer { try? egress?.syncShutdown() }
        let address = try await server.start()
        let shown = address.port.map { "\(address.ipAddress ?? host):\($0)" } ?? "\(address)"
        log("enclave-os listening on \(shown) (TLS 1.3 only)")
        log(configuration.operatorToken == nil
            ? "operator shutdown: disabled (no --operator-token / ENCLAVE_OPERATOR_TOKEN)"
            : "operator shutdown: enabled")
        let signals = installSignalHandlers { await server.shutdown() }
        await server.waitUntilClosed()
        signals.forEach { $0.cancel() }
        log("enclave-os stopped")
    }

    /// The HTTPS client of apps' egress. A bad `--egress-ca-bundle` or `--egress-resolve` stops
    /// the start; a machine without a system CA bundle (and no option) runs without egress, loudly.
    private func makeEgress() throws -> HTTPSEgress? {
        let resolve: [String: EgressResolveTarget]
        do {
            resolve = try EgressConfiguration.parseResolve(egressResolve)
        } catch {
            throw ValidationError("--egress-resolve: \(error)")
        }
        do {
            let egress = try HTTPSEgress(configuration: EgressConfiguration(caBundlePath: egressCABundle, resolve: resolve))
            log("egress: HTTPS only, \(egress.trustBundle.certificates.count) trust anchor(s) from \(egress.trustBundle.path)"
                + resolve.sorted { $0.key < $1.key }.map { ", \($0.key) -> \($0.value.host):\($0.value.port)" }.joined())
            return egress
        } catch {
            if egressCABundle != nil { throw ValidationError("--egress-ca-bundle: \(error)") }
            log("WARNING: egress disabled: \(error). Apps' https fetch calls will fail until a bundle is given with --egress-ca-bundle")
            return nil
        }
    }

    /// SIGINT / SIGTERM shut the server down gracefully instead of killing it mid-write.
    private func installSignalHandlers(_ onSignal: @escaping @Sendable () async -> Void) -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                log("signal \(number): shutting down")
                Task { await onSignal() }
            }
            source.resume()
            return source
        }
    }
}

/// One line to standard error, so standard output stays free for tooling.
func log(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}
