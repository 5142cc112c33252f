import Attestation
import Crypto
import EnclaveClient
import EnclaveServer
import Foundation
import XCTest

/// A server with the RA-TLS identity (simulated evidence) on a kernel-chosen port.
final class RATLSHarness: Sendable {
    let server: EnclaveServer
    let registry: AppRegistry
    let identity: RATLSIdentity
    let port: Int
    /// The egress bundle bytes whose hash the certificates must carry.
    let egressBundle: [UInt8]

    private init(server: EnclaveServer, registry: AppRegistry, identity: RATLSIdentity, port: Int, egressBundle: [UInt8]) {
        self.server = server
        self.registry = registry
        self.identity = identity
        self.port = port
        self.egressBundle = egressBundle
    }

    static func start() async throws -> RATLSHarness {
        let registry = AppRegistry()
        // A random "bundle" so a hard-coded hash could not pass.
        let bundle = Array("-----BEGIN CERTIFICATE-----\n\(UUID().uuidString)\n-----END CERTIFICATE-----\n".utf8)
        let identity = try RATLSIdentity(
            provider: SimulatedProvider(), egressCABundleHash: Array(SHA256.hash(data: bundle)), registry: registry)
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.log = { _ in }
        let server = EnclaveServer(configuration: configuration, identity: identity, registry: registry)
        let address = try await server.start()
        return RATLSHarness(server: server, registry: registry, identity: identity, port: try XCTUnwrap(address.port), egressBundle: bundle)
    }

    var egressHash: [UInt8] { Array(SHA256.hash(data: egressBundle)) }

    /// The committed test guest and its SHA-256.
    static func guest() throws -> (bytes: [UInt8], hash: [UInt8]) {
        let bytes = try GuestFiles.bytes("Guests/test-guest/test-guest.wasm")
        return (bytes, Array(SHA256.hash(data: bytes)))
    }

    /// Loads the test guest as `name` (hostname `hostname`) over a plain protocol connection.
    func load(_ name: String, hostname: String? = nil) throws {
        let connection = try EnclaveConnection.connect(host: "127.0.0.1", port: port)
        defer { connection.close() }
        _ = try connection.load(name: name, bytes: try Self.guest().bytes, hostname: hostname, base64: true)
    }

    func unload(_ name: String) throws {
        let connection = try EnclaveConnection.connect(host: "127.0.0.1", port: port)
        defer { connection.close() }
        XCTAssertTrue(try connection.unload(name: name))
    }

    /// The certificate served for `sni` (deterministic mode).
    func fetch(sni: String? = nil) throws -> [UInt8] {
        try PeerCertificateFetcher.fetch(host: "127.0.0.1", port: port, serverName: sni)
    }

    func stop() async {
        await server.shutdown()
    }
}

/// Runs external programs (python3, openssl, the `enclave` CLI) for the cross-checks.
enum RATLSProcess {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `arguments[0]` (looked up in PATH) to completion.
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes before waiting so a chatty child cannot fill a pipe and stall.
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self), stderr: String(decoding: stderrData, as: UTF8.self))
    }

    /// Whether `tool` is on PATH.
    static func available(_ tool: String) -> Bool {
        (try? run(["sh", "-c", "command -v \(tool)"]))?.status == 0
    }

    /// The `enclave` CLI built next to the test bundle.
    static func enclaveCLI() throws -> String {
        // The products directory: the test bundle itself on Linux, its parent on Darwin.
        let bundle = Bundle(for: RATLSHarness.self).bundleURL
        let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("enclave").path }
        let path = try XCTUnwrap(candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }),
                                 "the enclave CLI is not built at \(candidates); run `swift build --build-tests` first")
        return path
    }
}

/// The extension values a certificate must carry, recomputed from first principles.
enum RATLSExpected {
    static func serverExtensions(egressHash: [UInt8], apps: [AttestedApp]) throws -> [VerificationExpectations.ExtensionValue] {
        // No app: no apps hash extensions, and an empty apps leaf in the root.
        let appsHash = apps.isEmpty ? [] : try AppsHash.compute(apps)
        let hashes: [VerificationExpectations.ExtensionValue] = apps.isEmpty ? [] : [
            .init(oid: AttestationOID.appsHash, value: appsHash),
            .init(oid: AttestationOID.appsHashAlias, value: appsHash),
        ]
        return [.init(oid: AttestationOID.egressCABundleHash, value: egressHash)] + hashes + [
            .init(oid: AttestationOID.configRoot, value: ConfigRoot.server(egressCABundleHash: egressHash, appsHash: appsHash).digest),
        ]
    }

    static func appExtensions(hostname: String, codeHash: [UInt8], keySource: String, egressHash: [UInt8]) -> [VerificationExpectations.ExtensionValue] {
        [
            .init(oid: AttestationOID.appCodeHash, value: codeHash),
            .init(oid: AttestationOID.appKeySource, value: Array(keySource.utf8)),
            .init(oid: AttestationOID.egressCABundleHash, value: egressHash),
            .init(oid: AttestationOID.appConfigRoot, value: AppIdentityRoot.digest(codeHash: codeHash, keySource: keySource)),
            .init(oid: AttestationOID.appLabelledConfigRoot, value: ConfigRoot.app(hostname: hostname, codeHash: codeHash, keySource: keySource, egressCABundleHash: egressHash).digest),
        ]
    }

    /// Verifies `der` with simulated evidence allowed and every expected extension value.
    static func verify(_ der: [UInt8], binding: VerificationExpectations.Binding = .deterministic, extensions: [VerificationExpectations.ExtensionValue], codeHash: [UInt8]? = nil) -> VerificationReport {
        AttestationVerifier(expectations: .init(binding: binding, allowSimulated: true, codeHash: codeHash, extensions: extensions, now: Date()))
            .verify(certificateDER: der)
    }
}
