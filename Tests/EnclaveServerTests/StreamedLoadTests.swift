import Crypto
import EnclaveClient
import EnclaveProtocol
import EnclaveServer
import Synchronization
import XCTest

/// The streamed load over real TLS: `wasm_load_begin` → chunks → `wasm_load_commit`, its checks,
/// limits and timeouts (docs/protocol.md, "Streamed loads").
final class StreamedLoadTests: XCTestCase {
    private var harness: ServerHarness!

    override func tearDown() async throws {
        await harness?.stop()
    }

    private func start(_ configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> EnclaveConnection {
        harness = try await ServerHarness.start(configure)
        return try await EnclaveConnection.connect(host: "127.0.0.1", port: harness.address.port ?? 0)
    }

    private static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    private func send(_ connection: EnclaveConnection, _ message: UploadMessage) async throws -> ManagementResponse {
        let json = try await connection.management(message.json(), bytesAs: .base64)
        return try XCTUnwrap(ManagementResponse.decode(json), json.serializedString)
    }

    private func expect(send request: (EnclaveConnection, UploadMessage), _ expected: ManagementResponse,
                        file: StaticString = #filePath, line: UInt = #line) async throws {
        let response = try await send(request.0, request.1)
        XCTAssertEqual(response, expected, file: file, line: line)
    }

    func testStreamedLoadInManySmallChunksThenCall() async throws {
        let connection = try await start()
        let guest = try GuestFiles.bytes("Guests/test-guest/test-guest.wasm")
        var reported: [LoadProgress.Phase] = []
        let phases = LockedPhases()
        let app = try connection.load(name: "streamed", source: ComponentSource(bytes: guest), method: .streamed(chunkSize: 1000),
                                      progress: { phases.append($0.phase) })
        reported = phases.all
        XCTAssertEqual(app.codeHash, Self.sha256(guest))
        XCTAssertEqual(reported.first, .hashing)
        XCTAssertEqual(reported.last, .committing)
        let sum = try await connection.call(app: "streamed", function: "add",
                                            params: [.object(["type": "u32", "value": .uint(2)]), .object(["type": "u32", "value": .uint(40)])])
        XCTAssertEqual(sum, [.object(["type": "u32", "value": .uint(42)])])
        XCTAssertEqual(harness.server.uploadUsage.uploads, 0, "a committed upload is gone")
    }

    func testExactlyTheComponentLimitIsAcceptedAndOneMoreByteIsNot() async throws {
        let connection = try await start()
        let limit = 64 << 20
        let hash = String(repeating: "0", count: 64)
        guard case .uploadReady(let ticket) = try await send(connection, .begin(UploadBegin(name: "max", size: limit, sha256: hash))) else {
            return XCTFail("64 MiB refused")
        }
        try await expect(send: (connection, .abort(upload: ticket.upload)), .uploadAborted(upload: ticket.upload))
        let refused = try await send(connection, .begin(UploadBegin(name: "max", size: limit + 1, sha256: hash)))
        XCTAssertEqual(refused, .error("wasm_load_begin.size: 67108865 bytes exceeds this server's component limit of 67108864 bytes "
                                       + "(64 MiB); the operator can raise it with enclave-os --max-component-mib"))
    }

    func testA64MiBComponentLoadsWhole() async throws {
        // A real component padded with a custom section to exactly 64 MiB: the whole path (chunks,
        // hash, commit, validation, persistence) at the limit.
        let connection = try await start()
        let guest = try GuestFiles.bytes("Guests/test-guest/test-guest.wasm")
        let padded = try CustomSectionPadding.pad(guest, to: 64 << 20)
        XCTAssertEqual(padded.count, 64 << 20)
        let app = try connection.load(name: "max", source: ComponentSource(bytes: padded))
        XCTAssertEqual(app.codeHash, Self.sha256(padded))
        XCTAssertEqual(harness.server.uploadUsage.declaredBytes, 0)
    }

    func testOneFrameLoadAboveTheLimitNamesIt() async throws {
        let connection = try await start { $0.uploadLimits.maxComponentBytes = 1000 }
        let guest = try GuestFiles.bytes("Guests/test-guest/test-guest.wasm")
        XCTAssertThrowsError(try connection.load(name: "g", bytes: guest, base64: true)) { error in
            XCTAssertEqual("\(error)", "wasm_load.bytes: \(guest.count) bytes exceeds this server's component limit of 1000 bytes "
                           + "(0.00095367431640625 MiB); the operator can raise it with enclave-os --max-component-mib")
        }
    }

    func testChunksMustArriveInOrderAndMatchTheHash() async throws {
        let connection = try await start()
        let bytes = [UInt8](repeating: 1, count: 10)
        guard case .uploadReady(let ticket) = try await send(connection, .begin(UploadBegin(name: "x", size: 10, sha256: Self.sha256(bytes)))) else {
            return XCTFail()
        }
        let id = ticket.upload
        try await expect(send: (connection, .chunk(UploadChunk(upload: id, offset: 0, bytes: Array(bytes[0..<4])))),
                       .chunkReceived(upload: id, received: 4))
        try await expect(send: (connection, .chunk(UploadChunk(upload: id, offset: 8, bytes: [1]))),
                       .error("wasm_load_chunk.offset: expected 4, got 8 (chunks are sent in order, each starting where the last ended)"))
        try await expect(send: (connection, .chunk(UploadChunk(upload: id, offset: 4, bytes: Array(repeating: 1, count: 7)))),
                       .error("wasm_load_chunk: 7 bytes at offset 4 go past the declared size of 10 bytes"))
        try await expect(send: (connection, .commit(upload: id)),
                       .error("wasm_load_commit: only 4 of the declared 10 bytes were received"))
        // The same upload goes on after those refusals; a different last byte breaks the hash.
        try await expect(send: (connection, .chunk(UploadChunk(upload: id, offset: 4, bytes: [1, 1, 1, 1, 1, 2]))),
                       .chunkReceived(upload: id, received: 10))
        var wrong = bytes
        wrong[9] = 2
        try await expect(send: (connection, .commit(upload: id)),
                       .error("wasm_load_commit: the bytes received hash to \(Self.sha256(wrong)), not the declared sha256 \(Self.sha256(bytes)); the upload is discarded"))
        try await expect(send: (connection, .commit(upload: id)),
                       .error("unknown upload '\(id)': it was committed or aborted, or expired after 60 s without a chunk"))
        XCTAssertEqual(harness.server.uploadUsage.uploads, 0)
    }

    func testBeginChecksNameKeyAndFuelBeforeAnyByteIsSent() async throws {
        let connection = try await start()
        _ = try connection.load(name: "taken", bytes: try GuestFiles.bytes("Guests/test-guest/test-guest.wasm"), base64: true)
        let hash = String(repeating: "a", count: 64)
        try await expect(send: (connection, .begin(UploadBegin(name: "taken", size: 5, sha256: hash))),
                       .error(RegistryError.alreadyLoaded("taken").description))
        try await expect(send: (connection, .begin(UploadBegin(name: "new", size: 5, sha256: hash, encryptionKey: "zz"))),
                       .error("encryption_key: invalid hex encoding"))
        try await expect(send: (connection, .begin(UploadBegin(name: "new", size: 5, sha256: hash, maxFuel: 1_000_000_001))),
                       .error("max_fuel 1000000001 exceeds this server's cap of 1000000000 fuel per call (--max-fuel-cap)"))
    }

    func testUploadsAreCappedInNumberAndBytes() async throws {
        let connection = try await start {
            $0.uploadLimits.maxUploads = 2
            $0.uploadLimits.maxUploadBytes = 3000
        }
        let hash = String(repeating: "a", count: 64)
        guard case .uploadReady = try await send(connection, .begin(UploadBegin(name: "a", size: 1000, sha256: hash))) else { return XCTFail() }
        try await expect(send: (connection, .begin(UploadBegin(name: "b", size: 2001, sha256: hash))),
                       .error("wasm_load_begin: uploads in progress hold 1000 of this server's 3000 upload bytes; 2001 more do not fit; "
                              + "retry when one has finished or expired (enclave-os --max-upload-mib)"))
        guard case .uploadReady = try await send(connection, .begin(UploadBegin(name: "b", size: 2000, sha256: hash))) else { return XCTFail() }
        try await expect(send: (connection, .begin(UploadBegin(name: "c", size: 1, sha256: hash))),
                       .error("wasm_load_begin: 2 uploads are already in progress, the most this server holds at once; retry when one has finished or expired"))
    }

    func testAnInterruptedUploadLeavesNoTraceAfterItsTimeout() async throws {
        // 3 s: long enough that the upload is still there right after its chunk was answered,
        // also on a busy machine.
        let connection = try await start { $0.uploadLimits.idleTimeoutSeconds = 3 }
        let size = 3 << 20
        guard case .uploadReady(let ticket) = try await send(connection, .begin(UploadBegin(name: "gone", size: size, sha256: String(repeating: "a", count: 64)))) else {
            return XCTFail()
        }
        _ = try await send(connection, .chunk(UploadChunk(upload: ticket.upload, offset: 0, bytes: [UInt8](repeating: 7, count: 1 << 20))))
        XCTAssertEqual(harness.server.uploadUsage.uploads, 1)
        await connection.close()
        // The sweeper runs every 2 s: after at most timeout + 2 s the upload and its buffer are gone.
        let deadline = Date().addingTimeInterval(15)
        while harness.server.uploadUsage.uploads > 0, Date() < deadline { try await Task.sleep(nanoseconds: 100_000_000) }
        XCTAssertTrue(harness.server.uploadUsage == (0, 0))
        let again = try await EnclaveConnection.connect(host: "127.0.0.1", port: harness.address.port ?? 0)
        try await expect(send: (again, .chunk(UploadChunk(upload: ticket.upload, offset: 1 << 20, bytes: [1]))),
                       .error("unknown upload '\(ticket.upload)': it was committed or aborted, or expired after 3 s without a chunk"))
        // The name was never taken.
        _ = try again.load(name: "gone", bytes: try GuestFiles.bytes("Guests/test-guest/test-guest.wasm"), base64: true)
    }
}

/// Progress phases reported from the loading thread.
private final class LockedPhases: Sendable {
    private let phases = Mutex<[LoadProgress.Phase]>([])
    func append(_ phase: LoadProgress.Phase) { phases.withLock { $0.append(phase) } }
    var all: [LoadProgress.Phase] { phases.withLock { $0 } }
}

/// Pads a component to an exact size with a component-level custom section (ignored by every
/// engine), so that tests can load a real, valid component of any size.
enum CustomSectionPadding {
    enum Failure: Error { case tooSmall }

    static func pad(_ component: [UInt8], to size: Int) throws -> [UInt8] {
        let name = Array("padding".utf8)
        // section id 0, LEB128 size (fixed 5 bytes), name length (1 byte), name, filler.
        let overhead = 1 + 5 + 1 + name.count
        let filler = size - component.count - overhead
        guard filler >= 0 else { throw Failure.tooSmall }
        var out = component
        out.reserveCapacity(size)
        out.append(0)
        var length = UInt32(1 + name.count + filler)
        for index in 0..<5 {
            out.append(UInt8(length & 0x7F) | (index < 4 ? 0x80 : 0))
            length >>= 7
        }
        out.append(UInt8(name.count))
        out.append(contentsOf: name)
        out.append(contentsOf: repeatElement(0, count: filler))
        return out
    }
}
