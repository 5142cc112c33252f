import EnclaveProtocol
import NIOCore
import Synchronization
import XCTest
@testable import EnclaveClient

final class EnclaveConnectionTests: XCTestCase {
    /// A server that behaves like enclave-os for Ping and a few management messages.
    private func makeServer() throws -> TestFrameServer {
        try TestFrameServer { payload in
            switch Request.decode(payload) {
            case .ping: return .reply(Response.pong.encoded())
            case .shutdown(let token): return .reply((token == "secret" ? Response.ok : .error("not authorised")).encoded())
            case .invalid: return .reply(Response.error("invalid JSON request").encoded())
            case .data(let inner):
                guard let json = try? JSON.parse(inner) else { return .reply(Response.error("bad inner").encoded()) }
                let reply: JSON
                if json["wasm_list"] != nil {
                    reply = .object(["status": "apps", "apps": .array([Self.appJSON])])
                } else if let call = json["wasm_call"] {
                    guard call["app"]?.stringValue == "demo" else {
                        return .reply(Response.data(JSON.object(["status": "error", "message": "unknown app: 'x'"]).serialized()).encoded())
                    }
                    // Echo the params back as returns so the test sees exactly what was sent.
                    reply = .object(["status": "ok", "returns": call["params"] ?? .null])
                } else if let load = json["wasm_load"] {
                    var app = Self.appJSON.objectValue ?? JSONObject(pairs: [])
                    app.pairs[0].value = load["name"] ?? .null
                    // Report the received byte count as the hash, so the test can check the encoding.
                    let count = load["bytes"]?.byteArray()?.count ?? load["bytes"]?.stringValue.map { -$0.count } ?? 0
                    app.pairs[2].value = .string("\(count)")
                    reply = .object(["status": "loaded", "app": .object(app)])
                } else if let unload = json["wasm_unload"] {
                    let name = unload["name"] ?? .null
                    reply = .object(["status": name.stringValue == "demo" ? "unloaded" : "not_found", "name": name])
                } else {
                    reply = .object(["status": "error", "message": "unknown"])
                }
                return .reply(Response.data(reply.serialized()).encoded())
            }
        }
    }

    private static let appJSON: JSON = .object([
        "name": "demo", "hostname": "demo.example", "code_hash": "ab", "key_source": "generated",
        "exports": .array([.object(["name": "add", "param_count": .int(2), "result_count": .int(1)])]),
    ])

    func testPingAndManagementRoundTrip() throws {
        let server = try makeServer()
        defer { server.stop() }
        let connection = try EnclaveConnection.connect(host: "127.0.0.1", port: server.port)
        defer { connection.close() }

        try connection.ping()
        let apps = try connection.list()
        XCTAssertEqual(apps.map(\.name), ["demo"])
        XCTAssertEqual(apps.first?.exports, [ExportInfo(name: "add", paramCount: 2, resultCount: 1)])
        XCTAssertEqual(apps.first?.hostname, "demo.example")

        let params: [JSON] = [.object(["type": "u32", "value": .uint(7)])]
        XCTAssertEqual(try connection.call(app: "demo", function: "add", params: params), params)
        XCTAssertTrue(try connection.unload(name: "demo"))
        XCTAssertFalse(try connection.unload(name: "other"))
        // The outer envelope is returned as is; an outer Error is not thrown by send(request:).
        XCTAssertEqual(try connection.send(request: .data(Array("hello".utf8))), .error("bad inner"))
    }

    func testLoadSendsIntegerArrayOrBase64() throws {
        let server = try makeServer()
        defer { server.stop() }
        let connection = try EnclaveConnection.connect(host: "127.0.0.1", port: server.port)
        defer { connection.close() }
        let bytes = [UInt8](repeating: 7, count: 300)
        XCTAssertEqual(try connection.load(name: "x", bytes: bytes).codeHash, "300")
        // base64 of 300 bytes is 400 characters; the test server reports it negated.
        let summary = try connection.load(name: "y", bytes: bytes, base64: true)
        XCTAssertEqual(summary.codeHash, "-400")
        XCTAssertEqual(summary.name, "y")
    }

    func testStatusErrorIsThrownWithServerMessage() throws {
        let server = try makeServer()
        defer { server.stop() }
        let connection = try EnclaveConnection.connect(host: "127.0.0.1", port: server.port)
        defer { connection.close() }
        XCTAssertThrowsError(try connection.call(app: "nope", function: "f", params: [])) { error in
            XCTAssertEqual(error as? EnclaveClientError, .requestFailed("unknown app: 'x'"))
        }
        // management() returns error documents instead of throwing.
        let raw = try connection.management(ManagementMessages.call(app: "nope", function: "f", params: []))
        XCTAssertEqual(raw["status"]?.stringValue, "error")
    }

    func testShutdownAndRawInvalidFrame() throws {
        let server = try makeServer()
        defer { server.stop() }
        let connection = try EnclaveConnection.connect(host: "127.0.0.1", port: server.port)
        defer { connection.close() }
        XCTAssertThrowsError(try connection.shutdown(token: nil)) { error in
            XCTAssertEqual(error as? EnclaveClientError, .serverError("not authorised"))
        }
        XCTAssertNoThrow(try connection.shutdown(token: "secret"))
        let reply = try connection.sendRaw(Array("garbage{".utf8))
        XCTAssertEqual(Response.decode(reply), .error("invalid JSON request"))
    }

    func testConnectionRefusedNamesHostAndPort() throws {
        // Bind and close a server to get a port that is (almost certainly) free.
        let server = try makeServer()
        let port = server.port
        server.stop()
        XCTAssertThrowsError(try EnclaveConnection.connect(host: "127.0.0.1", port: port)) { error in
            guard case .connectionFailed(let host, let failedPort, let reason)? = error as? EnclaveClientError else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(host, "127.0.0.1")
            XCTAssertEqual(failedPort, port)
            XCTAssertEqual(reason, "connection refused")
            XCTAssertTrue("\(error)".contains("127.0.0.1:\(port)"))
        }
    }

    func testServerClosingFailsTheRequest() throws {
        let server = try TestFrameServer { _ in .close }
        defer { server.stop() }
        let connection = try EnclaveConnection.connect(host: "127.0.0.1", port: server.port)
        XCTAssertThrowsError(try connection.ping()) { error in
            XCTAssertEqual(error as? EnclaveClientError, .connectionClosed(host: "127.0.0.1", port: server.port))
        }
    }

    func testOversizedResponseFrameIsRejected() throws {
        let server = try TestFrameServer { _ in .raw([0x7F, 0xFF, 0xFF, 0xFF]) }
        defer { server.stop() }
        let connection = try EnclaveConnection.connect(host: "127.0.0.1", port: server.port)
        XCTAssertThrowsError(try connection.ping()) { error in
            guard case .malformedResponse(let detail)? = error as? EnclaveClientError else { return XCTFail("got \(error)") }
            XCTAssertTrue(detail.contains("too large"), detail)
        }
        // The stream is out of sync now: later requests fail instead of reading garbage.
        XCTAssertThrowsError(try connection.ping())
    }

    func testResponseTimeoutClosesConnection() throws {
        let server = try TestFrameServer { _ in .ignore }
        defer { server.stop() }
        let connection = try EnclaveConnection.connect(host: "127.0.0.1", port: server.port, responseTimeout: .milliseconds(200))
        let start = Date()
        XCTAssertThrowsError(try connection.ping()) { error in
            XCTAssertEqual(error as? EnclaveClientError, .timedOut(host: "127.0.0.1", port: server.port, seconds: 0.2))
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testManyConcurrentRequestsMatchTheirResponses() throws {
        let server = try makeServer()
        defer { server.stop() }
        let connection = try EnclaveConnection.connect(host: "127.0.0.1", port: server.port)
        defer { connection.close() }
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let params: [JSON] = [.object(["type": "u32", "value": .uint(UInt64(i))])]
            if (try? connection.call(app: "demo", function: "f", params: params)) != params {
                failures.withLock { $0 += 1 }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, 0)
    }

    func testAsyncAPI() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let connection = try await EnclaveConnection.connect(host: "127.0.0.1", port: server.port)
        try await connection.ping()
        let params: [JSON] = [.object(["type": "string", "value": "hi"])]
        let returns = try await connection.call(app: "demo", function: "f", params: params)
        XCTAssertEqual(returns, params)
        await connection.close()
    }
}
