import Foundation
import XCTest

/// The binaries an operator runs: `enclave-os` with a tokens file, driven by the `enclave` CLI
/// (`--token`, `ENCLAVE_TOKEN`, `load --replace`, `shutdown`), and `enclave-os` refusing to
/// serve open management on a network address.
final class OperatorProcessTests: XCTestCase {
    private static let token = "ci-operator-token-7d2e9a41"

    /// Runs the `enclave` CLI built next to `enclave-os`; its exit status and both outputs.
    private func enclave(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try EnclaveOSProcess.binary().deletingLastPathComponent().appendingPathComponent("enclave")
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        merged["ENCLAVE_TOKEN"] = nil
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testTheCLIManagesAServerWithATokensFileAndShutsItDown() async throws {
        let directory = try ServerHarness.makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tokens = directory + "/operators"
        try Data("# who may manage this server\nci:\(Self.token)\n".utf8).write(to: URL(fileURLWithPath: tokens))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokens)
        let server = try await EnclaveOSProcess.start(dataDirectory: directory + "/data",
                                                      arguments: ["--operator-tokens-file", tokens])
        defer { server.stop() }
        let guest = GuestFiles.repositoryRoot.appendingPathComponent("Guests/test-guest/test-guest.wasm").path
        let port = ["--port", "\(server.port)"]

        let anonymous = try enclave(["load", guest, "--name", "g"] + port)
        XCTAssertNotEqual(anonymous.status, 0)
        XCTAssertTrue(anonymous.output.contains("unauthorized: wasm_load needs an operator token"), anonymous.output)

        let loaded = try enclave(["load", guest, "--name", "g"] + port, environment: ["ENCLAVE_TOKEN": Self.token])
        XCTAssertEqual(loaded.status, 0, loaded.output)
        let replaced = try enclave(["load", guest, "--name", "g", "--replace", "--token", Self.token] + port)
        XCTAssertEqual(replaced.status, 0, replaced.output)
        XCTAssertTrue(replaced.output.contains("replaced"), replaced.output)
        let called = try enclave(["call", "g", "add", "2", "3"] + port)
        XCTAssertEqual(called.output.trimmingCharacters(in: .whitespacesAndNewlines), "5", "calls need no token")

        let refused = try enclave(["shutdown", "--token", "wrong-token-wrong-token"] + port)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("wrong operator token"), refused.output)
        XCTAssertTrue(server.process.isRunning)
        let shutdown = try enclave(["shutdown", "--token", Self.token] + port)
        XCTAssertEqual(shutdown.status, 0, shutdown.output)
        let deadline = Date().addingTimeInterval(15)
        while server.process.isRunning, Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        XCTAssertFalse(server.process.isRunning, "enclave shutdown did not stop the server")
        XCTAssertTrue(server.log.contains("management: operators ci;"), server.log)
        XCTAssertTrue(server.log.contains("operator 'ci': loaded app 'g'"), server.log)
        XCTAssertTrue(server.log.contains("operator 'ci': Shutdown accepted"), server.log)
        XCTAssertFalse(server.log.contains(Self.token), "the token never reaches the log")
    }

    func testOpenManagementOnANetworkAddressRefusesToStart() throws {
        let directory = try ServerHarness.makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (process, log) = try EnclaveOSProcess.launch(["--host", "0.0.0.0", "--port", "0", "--data-dir", directory + "/data"])
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertTrue(log.current.contains("refusing to listen on 0.0.0.0 without operator credentials"), log.current)
    }
}
