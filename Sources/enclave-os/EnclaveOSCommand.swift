import ArgumentParser
import BuildInfo
import EnclaveServer
import Egress
import Foundation
import Logging
import ServiceLifecycle

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
            help: "An operator's secret (at least 16 bytes; also read from ENCLAVE_OPERATOR_TOKEN). With operators, loads, replaces, unloads and Shutdown need a token.")
    var operatorToken: String?

    @Option(name: .customLong("operator-tokens-file"),
            help: "File of operators, one 'name:token' per line (# comments), mode 600; names appear in the log.")
    var operatorTokensFile: String?

    @Flag(name: .customLong("insecure-open-management"),
          help: "Allow open management (no operators) on an address other than loopback: anyone who reaches it can load, replace and unload apps.")
    var insecureOpenManagement = false

    @Option(name: .customLong("max-apps"), help: "Apps stored at once (served, quarantined or not restored).")
    var maxApps: Int = ResourceLimits().maxApps

    @Option(name: .customLong("max-app-storage-mib"), help: "Sealed storage per app, in MiB (sealed values and names).")
    var maxAppStorageMiB: Int = ResourceLimits().maxAppStorageBytes >> 20

    @Option(name: .customLong("max-app-entries"), help: "Entries per app in its sealed store (a file counts two: contents and times).")
    var maxAppEntries: Int = ResourceLimits().maxAppEntries

    @Option(name: .customLong("max-connections"), help: "Connections open at once; more are closed when accepted.")
    var maxConnections: Int = ResourceLimits().maxConnections

    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may sit with nothing to do before it is closed.")
    var idleTimeout: Int = ResourceLimits().idleTimeoutSeconds

    @Option(name: .customLong("handshake-timeout"), help: "Seconds from accept to a completed TLS handshake.")
    var handshakeTimeout: Int = ResourceLimits().handshakeTimeoutSeconds

    @Option(name: .customLong("frame-timeout"), help: "Seconds a frame begun (header or body) may go without a byte before the connection is closed.")
    var frameTimeout: Int = 30

    @Option(name: .customLong("max-fuel"), help: "Fuel per call for apps that set no max_fuel of their own.")
    var maxFuel: UInt64 = 10_000_000

    @Option(name: .customLong("max-memory-mib"), help: "Linear memory cap per instance, in MiB.")
    var maxMemoryMiB: Int = 64

    @Option(name: .customLong("max-fuel-cap"), help: "The largest max_fuel an app may ask for at load; larger requests are refused.")
    var maxFuelCap: UInt64 = 1_000_000_000

    @Option(name: .customLong("max-concurrent-calls"), help: "Calls executing at once across all apps; more wait their turn.")
    var maxConcurrentCalls: Int = 8

    @Option(name: .customLong("max-calls-per-app"),
            help: "Execution slots one app may hold at once; waiting calls are served round-robin between apps. Default: a quarter of --max-concurrent-calls (at least 1).")
    var maxCallsPerApp: Int?

    @Option(name: .customLong("max-blocked-calls"),
            help: "Calls that may wait in an HTTPS request without holding an execution slot; over it a call keeps its slot while it waits.")
    var maxBlockedCalls: Int = 64

    @Option(name: .customLong("max-blocked-calls-per-app"), help: "The same, per app.")
    var maxBlockedCallsPerApp: Int = 16

    @Option(name: .customLong("inline-call-limit"),
            help: "Microseconds: an export whose recent calls each took at most this long runs its calls on the network thread that received them (no hand-off to a call thread). 0: never.")
    var inlineCallLimit: Int = 100

    @Option(name: .customLong("call-time-limit"),
            help: "Wall-clock limit of one call in seconds (guest code and host calls such as HTTPS); past it the call fails with 'time limit (N s)'.")
    var callTimeLimit: Double = 30

    @Option(name: .customLong("shutdown-grace-period"),
            help: "Seconds a shutdown (SIGTERM, SIGINT, an operator's Shutdown) lets requests already received run and be answered before it stops what still runs.")
    var shutdownGracePeriod: Double = 30

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

    @OptionGroup(title: "Cluster")
    var cluster: ClusterOptions

    @OptionGroup(title: "Logs and metrics")
    var observability: ObservabilityOptions

    mutating func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
        guard maxFuel > 0 else { throw ValidationError("--max-fuel must be positive") }
        guard maxMemoryMiB > 0, maxMemoryMiB <= 4096 else { throw ValidationError("--max-memory-mib must be between 1 and 4096") }
        guard maxFuelCap >= maxFuel else {
            throw ValidationError("--max-fuel-cap (\(maxFuelCap)) must be at least --max-fuel (\(maxFuel))")
        }
        guard maxConcurrentCalls > 0 else { throw ValidationError("--max-concurrent-calls must be positive") }
        if let perApp = maxCallsPerApp, !(1...maxConcurrentCalls).contains(perApp) {
            throw ValidationError("--max-calls-per-app must be between 1 and --max-concurrent-calls (\(maxConcurrentCalls))")
        }
        guard (0...1024).contains(maxBlockedCalls) else { throw ValidationError("--max-blocked-calls must be between 0 and 1024") }
        guard (0...10_000).contains(inlineCallLimit) else {
            throw ValidationError("--inline-call-limit must be between 0 and 10000 microseconds (a network thread serves many connections)")
        }
        guard (0...maxBlockedCalls).contains(maxBlockedCallsPerApp) else {
            throw ValidationError("--max-blocked-calls-per-app must be between 0 and --max-blocked-calls (\(maxBlockedCalls))")
        }
        guard callTimeLimit >= 0.001, callTimeLimit <= 86_400 else {
            throw ValidationError("--call-time-limit must be between 0.001 and 86400 seconds")
        }
        guard shutdownGracePeriod >= 0, shutdownGracePeriod <= 3_600 else {
            throw ValidationError("--shutdown-grace-period must be between 0 and 3600 seconds")
        }
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
        guard maxApps > 0 else { throw ValidationError("--max-apps must be positive") }
        guard (1...1_048_576).contains(maxAppStorageMiB) else { throw ValidationError("--max-app-storage-mib must be between 1 and 1048576") }
        guard maxAppEntries >= 16 else { throw ValidationError("--max-app-entries must be at least 16") }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be positive") }
        guard idleTimeout > 0, handshakeTimeout > 0, frameTimeout > 0 else {
            throw ValidationError("--idle-timeout, --handshake-timeout and --frame-timeout must be positive")
        }
        guard !dataDir.isEmpty else { throw ValidationError("--data-dir must not be empty") }
    }

    func run() async throws {
        let logger = observability.makeLogger()
        // Before the store is opened: a taken port is named now, not after restoring every app.
        do {
            try PortProbe.checkAvailable(host: host, port: port)
        } catch {
            logger.error("\(error)")
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
        configuration.logger = logger
        configuration.metricsListen = try observability.metricsEndpoint()
        configuration.freshInstances = freshInstances
        configuration.uploadLimits = UploadLimits(maxComponentBytes: maxComponentMiB << 20, maxUploads: maxUploads,
                                                  maxUploadBytes: maxUploadMiB << 20, idleTimeoutSeconds: uploadTimeout)
        configuration.maxBufferedRequestBytes = maxBufferedRequestMiB << 20
        configuration.maxResultBytes = maxResultMiB << 20
        configuration.frameStallTimeoutSeconds = frameTimeout
        configuration.resourceLimits = ResourceLimits(
            maxApps: maxApps, maxAppStorageBytes: maxAppStorageMiB << 20, maxAppEntries: maxAppEntries,
            maxConnections: maxConnections, idleTimeoutSeconds: idleTimeout, handshakeTimeoutSeconds: handshakeTimeout)
        if let operatorTokensFile {
            do {
                configuration.operators = try OperatorCredentials.read(file: operatorTokensFile)
            } catch {
                throw ValidationError("--operator-tokens-file: \(error)")
            }
        }
        configuration.insecureOpenManagement = insecureOpenManagement
        configuration.maxFuelCap = maxFuelCap
        configuration.maxCallsPerApp = maxCallsPerApp
        configuration.maxBlockedCalls = maxBlockedCalls
        configuration.maxBlockedCallsPerApp = maxBlockedCallsPerApp
        configuration.inlineCallLimit = .microseconds(max(0, inlineCallLimit))
        configuration.callTimeLimit = .milliseconds(Int64((callTimeLimit * 1000).rounded()))
        configuration.shutdownGracePeriod = .milliseconds(Int64((shutdownGracePeriod * 1000).rounded()))
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
        configuration.cluster = try cluster.configuration(host: host, identity: identity)
        let server = EnclaveServer(configuration: configuration, identity: identity, registry: registry)
        defer { try? egress?.syncShutdown() }
        let address = try await server.start()
        let shown = address.port.map { "\(address.ipAddress ?? host):\($0)" } ?? "\(address)"
        log("enclave-os listening on \(shown) (TLS 1.3 only)")
        let operators = configuration.operators.names + (configuration.operatorToken == nil ? [] : ["operator"])
        log(operators.isEmpty
            ? "management: OPEN on this address (no --operator-token / --operator-tokens-file / ENCLAVE_OPERATOR_TOKEN): "
                + "anyone who connects can load, replace and unload apps; Shutdown over the wire is disabled"
            : "management: operators \(operators.joined(separator: ", ")); loads, replaces, unloads and Shutdown need a token")
        log("calls: \(configuration.callSchedulingLimits.slots) at once, \(configuration.callSchedulingLimits.slotsPerApp) per app, "
            + "time limit \(callTimeLimit) s, max_fuel up to \(maxFuelCap); shutdown grace period \(shutdownGracePeriod) s")
        // The server ends its own run (a signal or an operator's Shutdown calls its shutdown);
        // the group then stops the signal watcher.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                .init(service: ShutdownSignals(server: server, logger: logger)),
                .init(service: server, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            logger: logger))
        try await group.run()
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
            observability.makeLogger().warning("egress disabled: \(error). Apps' https fetch calls will fail until a bundle is given with --egress-ca-bundle")
            return nil
        }
    }
}

extension EnclaveOSCommand {
    /// One operator message at `info`, through the process's logger (standard error, so
    /// standard output stays free for tooling).
    func log(_ message: String) {
        observability.makeLogger().info("\(message)")
    }
}
