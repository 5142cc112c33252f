import EnclaveProtocol
import Foundation
import NIOPosix
import XCTest

/// docs/sdk.md, sealed store "a crash mid-write loses at most that write, never earlier data", end to end: the
/// real `enclave-os` process is SIGKILLed while clients keep writing files through WASI (the
/// conformance guest's `write-file`: open-at create|truncate, write, drop — the drop writes the
/// file back to the sealed SQLite store), then restarted on the same data
/// directory. Every key must read back its last acknowledged value or a later attempted one,
/// intact (no `io` error, no torn bytes), and keys written before the loop are untouched. (The
/// kill quarantines the app, as any abnormal end in the middle of its code does; each round
/// reloads it the way an operator would.)
final class KillDuringWritesTests: XCTestCase {
    private static let writers = 2
    private static let keysPerWriter = 4
    private static let rounds = 5

    /// What the writers sent, per key: the highest acknowledged sequence number and the
    /// highest one attempted (sent, maybe applied, answer lost in the kill).
    actor Ledger {
        private(set) var acknowledged: [String: Int] = [:]
        private(set) var attempted: [String: Int] = [:]
        private(set) var acknowledgedCount = 0
        /// Why writers stopped (after the kill: the connection closing).
        private(set) var stops: [String] = []
        func stopped(_ why: String) { stops.append(why) }
        func clearStops() { stops = [] }
        func attempt(_ key: String, _ sequence: Int) { attempted[key] = sequence }
        func acknowledge(_ key: String, _ sequence: Int) {
            acknowledged[key] = sequence
            acknowledgedCount += 1
        }
    }

    /// A value that names its key and sequence and carries ~1.5 KB derived from both, so a
    /// torn or mixed-up value cannot pass for a valid one.
    static func value(_ key: String, _ sequence: Int) -> String {
        let unit = "\(key)-\(sequence)."
        return "\(key)#\(sequence)#" + String(repeating: unit, count: 1500 / unit.count)
    }

    /// The sequence number of a well-formed value of `key`, or nil.
    static func sequence(of text: String, key: String) -> Int? {
        let parts = text.split(separator: "#", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == key, let sequence = Int(parts[1]),
              text == value(key, sequence) else { return nil }
        return sequence
    }


    /// `write-file`'s whole answer; `stored` is what success looks like.
    private static func store(_ key: String, _ value: String, on client: RawTLSClient) async throws -> String {
        try await client.management(#"{"wasm_call":{"app":"kv","function":"write-file","params":[{"type":"string","value":"\#(key)"},{"type":"string","value":"\#(value)"}]}}"#).serializedString
    }
    private static let stored = #"{"status":"ok","returns":[{"type":"u32","value":0}]}"#

    /// The file's contents, or the whole answer when it is not a string (`error:NN` for a
    /// filesystem error code, or a call failure).
    private func read(_ key: String, on client: RawTLSClient) async throws -> String {
        let reply = try await client.management(#"{"wasm_call":{"app":"kv","function":"read-file","params":[{"type":"string","value":"\#(key)"}]}}"#)
        return reply["returns"]?.arrayValue?.first?["value"]?.stringValue ?? reply.serializedString
    }

    /// One writer: cycles over its own keys (one writer per key, so a key's writes are ordered)
    /// until the connection dies.
    private static func writeLoop(_ writer: Int, _ client: RawTLSClient, _ ledger: Ledger, from start: Int) async {
        var sequence = start
        while true {
            let key = "w\(writer)k\(sequence % Self.keysPerWriter)"
            await ledger.attempt(key, sequence)
            let answer: String
            do { answer = try await store(key, Self.value(key, sequence), on: client) } catch {
                return await ledger.stopped("\(error)")
            }
            guard answer == Self.stored else {
                return await ledger.stopped("write \(key)#\(sequence) answered \(answer.prefix(200))")
            }
            await ledger.acknowledge(key, sequence)
            sequence += 1
        }
    }

    func testKillNineDuringWritesLosesNothingAcknowledged() async throws {
        let data = try TestDataDirectory()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var server = try await EnclaveOSProcess.start(dataDirectory: data.path)
        defer { server.stop() }

        // Loaded once (generated key: the sealed registry keeps it across restarts), plus keys
        // written before any loop that must never change.
        var client = try await server.connect(group: group)
        let loaded = try await client.management(#"{"wasm_load":{"name":"kv","bytes":"\#(try WASIAppTests.conformanceGuest())"}}"#)
        XCTAssertEqual(loaded["status"]?.stringValue, "loaded", loaded.serializedString)
        for index in 0..<3 {
            let stored = try await Self.store("stable\(index)", Self.value("stable\(index)", index), on: client)
            XCTAssertEqual(stored, Self.stored)
        }
        await client.close()

        let ledger = Ledger()
        var nextSequence = 0
        for round in 1...Self.rounds {
            let before = await ledger.acknowledgedCount
            await ledger.clearStops()
            let clients = try await (0..<Self.writers).asyncMap { _ in try await server.connect(group: group) }
            let started = Date(), start = nextSequence
            let loops = Task { [clients, ledger, start] in
                await withTaskGroup(of: Void.self) { tasks in
                    for (writer, client) in clients.enumerated() {
                        tasks.addTask { await KillDuringWritesTests.writeLoop(writer, client, ledger, from: start) }
                    }
                }
            }
            // Kill at a different point each round, with writes in flight on every connection.
            let target = before + 40 + 25 * round
            while await ledger.acknowledgedCount < target {
                guard server.process.isRunning else { return XCTFail("server died on its own:\n\(server.log)") }
                let stops = await ledger.stops
                guard stops.isEmpty else { server.stop(); return XCTFail("a writer stopped before the kill: \(stops)") }
                try await Task.sleep(nanoseconds: 2_000_000)
            }
            server.kill9()
            let seconds = Date().timeIntervalSince(started)
            await loops.value
            for client in clients { await client.close() }
            let acknowledged = await ledger.acknowledgedCount - before
            print("round \(round): \(acknowledged) acknowledged writes in \(String(format: "%.2f", seconds)) s "
                  + "(\(String(format: "%.0f", Double(acknowledged) / seconds))/s) before SIGKILL")
            nextSequence = (await ledger.attempted.values.max() ?? 0) + 1

            server = try await EnclaveOSProcess.start(dataDirectory: data.path)
            client = try await server.connect(group: group)
            try await reloadIfQuarantined(on: client, round: round)
            try await verify(ledger, on: client, round: round)
            await client.close()
        }
        try? await group.shutdownGracefully()
    }

    /// Writes were in flight at the kill, so the crash guard has quarantined the app (a kill
    /// between two calls would not); an operator's reload of the same code serves it again with
    /// its key and data, which `verify` then reads.
    private func reloadIfQuarantined(on client: RawTLSClient, round: Int) async throws {
        let list = try await client.management(#"{"wasm_list":{}}"#)
        guard let entry = list["unavailable"]?.arrayValue?.first(where: { $0["name"]?.stringValue == "kv" }) else { return }
        XCTAssertEqual(entry["state"]?.stringValue, "quarantined", "round \(round): \(list.serializedString)")
        let reloaded = try await client.management(#"{"wasm_load":{"name":"kv","bytes":"\#(try WASIAppTests.conformanceGuest())"}}"#)
        XCTAssertEqual(reloaded["status"]?.stringValue, "loaded", "round \(round): \(reloaded.serializedString)")
    }

    /// Every key: old-or-new, intact, nothing acknowledged lost; the stable keys unchanged.
    private func verify(_ ledger: Ledger, on client: RawTLSClient, round: Int) async throws {
        for index in 0..<3 {
            let text = try await read("stable\(index)", on: client)
            XCTAssertEqual(text, Self.value("stable\(index)", index), "round \(round): an earlier write changed")
        }
        let acknowledged = await ledger.acknowledged, attempted = await ledger.attempted
        XCTAssertEqual(acknowledged.count, Self.writers * Self.keysPerWriter, "round \(round): every key was written")
        for (key, lastAttempt) in attempted.sorted(by: { $0.key < $1.key }) {
            let text = try await read(key, on: client)
            guard let sequence = Self.sequence(of: text, key: key) else {
                XCTFail("round \(round): \(key) is corrupt or missing: \(text.prefix(120))")
                continue
            }
            let floor = acknowledged[key] ?? -1
            XCTAssertGreaterThanOrEqual(sequence, floor, "round \(round): \(key) lost acknowledged write #\(floor)")
            XCTAssertLessThanOrEqual(sequence, lastAttempt, "round \(round): \(key) holds a value never written")
        }
    }
}

extension Sequence {
    /// `map` with an async transform, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
