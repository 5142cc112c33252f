@_spi(Benchmark) import EnclaveServer
import Foundation

/// Rounds of `StoreBench`'s concurrent writers: per round the time per write (wall / writes),
/// and over all rounds the CPU per write (ours and the database's), the writes each commit
/// carried and the statements each call sent.
struct ConcurrentRounds {
    /// Nanoseconds per write of each round, in the order measured.
    var perWrite: [Double] = []
    var latencies = Samples()
    var writes = 0
    var wall: UInt64 = 0
    var cpuNanoseconds: UInt64 = 0
    var databaseSeconds: Double?
    var commits: (commits: Int, writes: Int)?
    var statements: Int?

    /// Runs `round` (the latencies of its calls and its wall time) `count` times.
    static func measure(_ count: Int, server: EnclaveServer, database: Int32?,
                        round: () throws -> (Samples, UInt64)) throws -> ConcurrentRounds {
        var rounds = ConcurrentRounds()
        let statistics = StoreBench.commitStatistics(server)
        let statementsBefore = StoreBench.statementCount(server)
        let cpuBefore = CPUTime.processNanoseconds()
        let databaseBefore = database.flatMap { CPUTime.treeSeconds(root: $0) }
        for _ in 0..<count {
            let (latencies, wall) = try round()
            rounds.perWrite.append(Double(wall) / Double(latencies.values.count))
            for value in latencies.values { rounds.latencies.add(value) }
            rounds.writes += latencies.values.count
            rounds.wall += wall
        }
        rounds.cpuNanoseconds = CPUTime.processNanoseconds() - cpuBefore
        if let databaseBefore, let database, let after = CPUTime.treeSeconds(root: database) {
            rounds.databaseSeconds = after - databaseBefore
        }
        if let before = statistics, let after = StoreBench.commitStatistics(server) {
            rounds.commits = (after.commits - before.commits, after.writes - before.writes)
        }
        if let before = statementsBefore, let after = StoreBench.statementCount(server) { rounds.statements = after - before }
        return rounds
    }

    /// The median round's nanoseconds per write.
    var medianPerWrite: Double { perWrite.sorted()[perWrite.count / 2] }

    /// The row's figure: the median and range of the rounds, then what all rounds did.
    var summary: String {
        let sorted = perWrite.sorted()
        var text = "\(Format.micros(medianPerWrite)) µs (rounds \(Format.micros(sorted.first ?? 0))–\(Format.micros(sorted.last ?? 0)) µs; "
            + "\(Format.number(Double(writes) * 1e9 / Double(max(1, wall)))) writes/s"
        if let commits {
            text += ", \(Format.number(Double(commits.writes) / Double(max(1, commits.commits)))) writes per commit, "
                + "\(Format.number(Double(commits.writes) / Double(max(1, writes)))) store writes per call"
        }
        if let statements { text += ", \(Format.number(Double(statements) / Double(max(1, writes)))) database statements per call" }
        text += "; CPU \(Format.micros(Double(cpuNanoseconds) / Double(max(1, writes)))) µs per write"
        if let databaseSeconds { text += "; database CPU \(Format.micros(databaseSeconds * 1e9 / Double(max(1, writes)))) µs per write" }
        return text + ")"
    }
}
