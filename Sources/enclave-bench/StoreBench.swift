import Components
import EnclaveClient
@_spi(Benchmark) import EnclaveServer
import Foundation
import Synchronization
import SealedStore

/// The sealed store under the reference app's `kv-store` and `kv-read`, on both backends: the
/// embedded SQLite file and a private PostgreSQL server (the cluster's store). Server-side calls
/// (`callAsServer`: a fresh instance, a WASI session over the app's store), so the figures are the
/// store's and the WASI path's, without network or JSON.
enum StoreBench {
    static let writers = 8
    /// Measured rounds of the concurrent writers: one round is a fraction of a second, which a
    /// burst of the host's other work can slow by a third, so the row gives the median round and
    /// the range.
    static let concurrentRounds = 3
    /// Measured rounds of `kv-read` (the median round's p50 is the figure; `Samples.medianRound`).
    static let readRounds = 3

    static func run(_ options: Options, report: Report) async throws {
        let directory = try BenchServers.makeDataDirectory("store")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (server, port) = try await BenchServers.startInProcess(dataDirectory: directory)
        do {
            try await measure(options, report: report, server: server, port: port, backend: "SQLite", database: nil)
            let floor = try DurableCommitFloor.measure(directory: directory, iterations: options.scaled(300, quick: 50))
            report.add(Row(item: 12, metric: "SQLite: the floor of one durable commit here: fsync of a 4 KiB overwrite in the data directory "
                               + "(p50 / p99; \(writers) writers sharing every commit still pay at least 1/\(writers) of it per write)",
                           figure: Format.microsPair(floor), target: "—", met: nil))
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()

        let postgres: PrivatePostgresProcess
        do {
            postgres = try PrivatePostgresProcess.start(options)
        } catch {
            report.add(.notAvailable(12, "PostgreSQL store rows", reason: "\(error)"))
            return
        }
        defer { postgres.stop() }
        let nodeDirectory = try BenchServers.makeDataDirectory("store-pg")
        defer { try? FileManager.default.removeItem(atPath: nodeDirectory) }
        let (node, nodePort) = try await BenchServers.startInProcess(dataDirectory: nodeDirectory, store: postgres.url)
        do {
            try await measure(options, report: report, server: node, port: nodePort, backend: "PostgreSQL",
                              database: postgres.serverPID)
            try roundTripFloor(options, url: postgres.url, server: node, report: report)
            let flush = try DurableCommitFloor.measure(directory: postgres.directory, iterations: options.scaled(300, quick: 50))
            report.add(Row(item: 12, metric: "PostgreSQL: the floor of one durable commit here: fsync of a 4 KiB overwrite in the database's "
                               + "directory (p50 / p99; what each WAL flush costs at least, shared by the writes of one commit)",
                           figure: Format.microsPair(flush), target: "—", met: nil))
        } catch {
            await node.shutdown()
            throw error
        }
        await node.shutdown()
    }

    /// `--only reads`: the SQLite `kv-read` rows of `run` alone (no writes measured, no
    /// PostgreSQL), to profile the read path or compare builds quickly.
    static func runReads(_ options: Options, report: Report) async throws {
        let directory = try BenchServers.makeDataDirectory("reads")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (server, port) = try await BenchServers.startInProcess(dataDirectory: directory)
        do {
            let connection = try await EnclaveConnection.connect(port: port)
            try await ServerSideCalls.load(connection, name: "app", bytes: try options.bytes(Guests.referenceApp))
            await connection.close()
            guard let app = server.registry.app(named: "app") else { throw BenchError("the reference app is not in the registry") }
            _ = try app.callAsServer("kv-store", [.string("bench-key"), .string("a value of 32 bytes, sealed......")])
            try readFigures(options, app: app, backend: "SQLite", server: server, report: report)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    /// `database`: the PostgreSQL server's postmaster, whose processes' CPU per write is reported
    /// beside ours (both share this machine's cores).
    private static func measure(_ options: Options, report: Report, server: EnclaveServer, port: Int, backend: String,
                                database: Int32?) async throws {
        let connection = try await EnclaveConnection.connect(port: port)
        try await ServerSideCalls.load(connection, name: "app", bytes: try options.bytes(Guests.referenceApp))
        await connection.close()
        guard let app = server.registry.app(named: "app") else { throw BenchError("the reference app is not in the registry") }
        let value = ComponentValue.string("a value of 32 bytes, sealed......")
        let iterations = options.scaled(600, quick: 100)

        let singleCPU = CPUTime.processNanoseconds()
        let single = try Samples.measure(iterations: iterations, warmup: 20) {
            try store(app, key: "bench-key", value)
        }
        let singleCPUPerWrite = Double(CPUTime.processNanoseconds() - singleCPU) / Double(iterations + 20)
        report.add(Row(item: 12, metric: "\(backend): `kv-store`, one writer at a time (p50 / p99; each waits for its own durable commit)",
                       figure: Format.microsPair(single) + ", CPU \(Format.micros(singleCPUPerWrite)) µs per write", target: "—", met: nil))

        let perWriter = options.scaled(300, quick: 60)
        // A warm-up round first: the writers' threads are new, and the first round after the
        // single writer also pays for growing the allocator's per-thread arenas, the database's
        // first writes to these rows, and the group commit's queues. The figures are the steady
        // state a busy server sees.
        _ = try concurrentWrites(app: app, value: value, perWriter: max(1, perWriter / 4))
        let rounds = try ConcurrentRounds.measure(Self.concurrentRounds, server: server, database: database) {
            try concurrentWrites(app: app, value: value, perWriter: perWriter)
        }
        report.add(Row(item: 12, metric: "\(backend): `kv-store`, \(writers) concurrent writers sharing commits: time per write (wall / writes; "
                           + "the median of \(Self.concurrentRounds) rounds, each \(writers * perWriter) writes)",
                       figure: rounds.summary, target: "≤ 100 µs", met: rounds.medianPerWrite <= 100_000))
        report.add(Row(item: 12, metric: "\(backend): `kv-store`, \(writers) concurrent writers: latency of one call (p50 / p99)",
                       figure: Format.microsPair(rounds.latencies), target: "—", met: nil))
        try storeAlone(app: app, perWriter: perWriter, backend: backend, server: server, report: report)

        try readFigures(options, app: app, backend: backend, server: server, report: report)
    }

    /// What no uncached PostgreSQL read can beat: one round trip to the database, first with nothing of
    /// ours in the way (a blocking socket on the calling thread), then through the store's pool
    /// (PostgresNIO on its own event loop threads, so two thread hand-offs more).
    private static func roundTripFloor(_ options: Options, url: String, server: EnclaveServer, report: Report) throws {
        guard let backend = server.registry.store?.backend as? PostgresBackend else { return }
        let iterations = options.scaled(3_000, quick: 300)
        let raw = try PostgresRoundTripFloor.measure(url: url, iterations: iterations)
        let pooled = try Samples.measure(iterations: iterations, warmup: 100) { try backend.ping() }
        report.add(Row(item: 12, metric: "PostgreSQL: the floor of one read here: a round trip to the database on loopback, `SELECT 1` "
                           + "on a blocking socket from the calling thread (p50 / p99) / through the store's pool (p50)",
                       figure: "\(Format.microsPair(raw)) / \(Format.micros(pooled.p50)) µs", target: "—", met: nil))
    }

    /// Commits made and writes they carried, on a backend with group commit.
    static func commitStatistics(_ server: EnclaveServer) -> (commits: Int, writes: Int)? {
        switch server.registry.store?.backend {
        case let sqlite as SQLiteBackend: sqlite.commitStatistics
        case let postgres as PostgresBackend: postgres.commitStatistics
        default: nil
        }
    }

    /// Statements sent to PostgreSQL so far (nil on another backend).
    static func statementCount(_ server: EnclaveServer) -> Int? {
        (server.registry.store?.backend as? PostgresBackend)?.statementCount
    }

    /// `kv-read`, and where its time goes: the same call without any store work (`hello`), and
    /// the store's own read (HMAC of the name, the backend's read, AES-GCM open) without WASI.
    /// A function of its own so that a profile of the bench (`perf record -g`) can single out
    /// the reads.
    @inline(never)
    private static func readFigures(_ options: Options, app: LoadedApp, backend: String, server: EnclaveServer,
                                    report: Report) throws {
        let readCount = options.scaled(3_000, quick: 300)
        let statementsBefore = statementCount(server)
        let readsCPU = CPUTime.processNanoseconds()
        let (reads, roundP50s) = try Samples.medianRound(Self.readRounds, iterations: readCount, warmup: 100) {
            _ = try app.callAsServer("kv-read", [.string("bench-key")])
        }
        let callsMade = Self.readRounds * readCount + 100
        let cpuPerRead = Double(CPUTime.processNanoseconds() - readsCPU) / Double(callsMade)
        var statements = ""
        if let before = statementsBefore, let after = statementCount(server) {
            statements = " (\(Format.number(Double(after - before) / Double(callsMade))) database statements per call)"
        }
        let range = "rounds' p50 \(Format.micros(roundP50s.first ?? 0))–\(Format.micros(roundP50s.last ?? 0)) µs"
        report.add(Row(item: 12, metric: "\(backend): `kv-read` (p50 / p99 of the round of median p50, of \(Self.readRounds) rounds, each \(readCount) calls)",
                       figure: Format.microsPair(reads) + " (\(range)), CPU \(Format.micros(cpuPerRead)) µs per read" + statements,
                       target: "p50 ≤ 15 µs", met: reads.p50 <= 15_000))
        let hello = try Samples.measure(iterations: options.scaled(3_000, quick: 300), warmup: 100) {
            _ = try app.callAsServer("hello", [])
        }
        let fileKey = Array("fs:/bench-key".utf8)
        let storeReadCount = options.scaled(3_000, quick: 300)
        let readCPU = CPUTime.processNanoseconds()
        let storeReads = try Samples.measure(iterations: storeReadCount, warmup: 100) {
            _ = try app.kv.get(fileKey)
        }
        let cpuPerStoreRead = Double(CPUTime.processNanoseconds() - readCPU) / Double(storeReadCount + 100)
        // Where the backend offers the opened-value cache (SQLite under the data-directory
        // lock), the repeated read is a hit there: no backend read, no AES-GCM open.
        let cached = server.registry.store?.backend.openedValueCache != nil ? ", a hit in the opened-value cache" : ""
        report.add(Row(item: 12, metric: "\(backend): of which a call without store work (`hello`) / the store's read alone\(cached) (p50; CPU per read)",
                       figure: "\(Format.micros(hello.p50)) / \(Format.micros(storeReads.p50)) µs; CPU \(Format.micros(cpuPerStoreRead)) µs",
                       target: "—", met: nil))
    }

    /// The store's own durable write without WASI: one writer, then `writers` concurrent ones.
    private static func storeAlone(app: LoadedApp, perWriter: Int, backend: String, server: EnclaveServer, report: Report) throws {
        let value = [UInt8](repeating: 0x5a, count: 32)
        let single = try Samples.measure(iterations: perWriter, warmup: 10) { try app.kv.put("fs:/alone", value) }
        let before = commitStatistics(server)
        let start = now(), startCPU = CPUTime.processNanoseconds()
        let failures = SharedSamples()
        onThreads(writers) { writer in
            for _ in 0..<perWriter {
                do { try app.kv.put("fs:/alone-\(writer)", value) } catch { failures.fail("\(error)"); return }
            }
        }
        let wall = Double(now() - start) / Double(writers * perWriter)
        let cpu = Double(CPUTime.processNanoseconds() - startCPU) / Double(writers * perWriter)
        if let failure = failures.failure { throw BenchError("a concurrent put failed: \(failure)") }
        var shared = ""
        if let before, let after = commitStatistics(server) {
            shared = ", \(Format.number(Double(after.writes - before.writes) / Double(max(1, after.commits - before.commits)))) writes per commit"
        }
        report.add(Row(item: 12, metric: "\(backend): the store alone (sealed put, no WASI): one writer p50 / \(writers) concurrent writers per write",
                       figure: "\(Format.micros(single.p50)) / \(Format.micros(wall)) µs\(shared); CPU \(Format.micros(cpu)) µs per write",
                       target: "—", met: nil))
    }

    /// One `kv-store` call; an answer other than "stored: KEY" (the app reports a failed write
    /// in its answer) fails the bench instead of being timed as a write.
    private static func store(_ app: LoadedApp, key: String, _ value: ComponentValue) throws {
        let answer = try app.callAsServer("kv-store", [.string(key), value])
        guard answer.count == 1, case .string(let text) = answer[0], text.utf8.elementsEqual("stored: \(key)".utf8) else {
            throw BenchError("kv-store of \(key) answered \(answer)")
        }
    }

    /// `writers` threads each storing `perWriter` values under its own key; per-call latencies and
    /// the wall time of the whole.
    private static func concurrentWrites(app: LoadedApp, value: ComponentValue, perWriter: Int) throws -> (Samples, UInt64) {
        let results = SharedSamples()
        let start = now()
        onThreads(writers) { writer in
            var samples = Samples(capacity: perWriter)
            for _ in 0..<perWriter {
                let begin = now()
                do {
                    try store(app, key: "writer-\(writer)", value)
                } catch {
                    results.fail("\(error)")
                    return
                }
                samples.add(now() - begin)
            }
            results.add(samples)
        }
        let wall = now() - start
        if let failure = results.failure { throw BenchError("a concurrent kv-store failed: \(failure)") }
        return (results.merged, wall)
    }
}

/// Runs `body(0..<count)` on `count` threads of their own and waits for all. Not
/// `DispatchQueue.concurrentPerform`, which runs only as many iterations at once as there are
/// cores: 8 writers on 2 cores would be 2 writers, and nothing would wait to share a commit.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let done = DispatchGroup()
    for index in 0..<count {
        done.enter()
        let thread = Thread {
            body(index)
            done.leave()
        }
        thread.start()
    }
    done.wait()
}

/// Samples gathered by concurrent workers.
final class SharedSamples: Sendable {
    private struct State {
        var all = Samples()
        var firstFailure: String?
    }
    private let state = Mutex(State())

    func add(_ samples: Samples) {
        state.withLock { state in for value in samples.values { state.all.add(value) } }
    }

    func fail(_ message: String) {
        state.withLock { state in if state.firstFailure == nil { state.firstFailure = message } }
    }

    var merged: Samples { state.withLock { $0.all } }
    var failure: String? { state.withLock { $0.firstFailure } }
}

/// A private PostgreSQL for the benchmark, through the test helper `tests/cluster/private_postgres.py`.
struct PrivatePostgresProcess {
    let directory: String
    let url: String
    let script: String

    static func start(_ options: Options) throws -> PrivatePostgresProcess {
        let script = options.path("tests/cluster/private_postgres.py")
        let directory = NSTemporaryDirectory() + "enclave-bench-pg-\(getpid())"
        let url = try runScript(script, "start", directory)
        return PrivatePostgresProcess(directory: directory, url: url, script: script)
    }

    /// The postmaster's process id (the first line of `postmaster.pid`), for its CPU time.
    var serverPID: Int32? {
        guard let text = try? String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.flatMap { Int32($0) }
    }

    func stop() {
        _ = try? Self.runScript(script, "stop", directory)
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func runScript(_ script: String, _ command: String, _ directory: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, command, directory]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("no private PostgreSQL (\(script) \(command) failed; is Debian's postgresql installed?)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
