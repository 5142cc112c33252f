import Foundation
import XCTest
@testable import SealedStore

/// Group commit on the PostgreSQL backend, against the real private PostgreSQL: concurrent
/// writers of one server share commits (one statement for several writers), each acknowledged
/// write is there for another server and after a database crash, writers of the same file end
/// with one whole value, and a write the database refuses fails alone.
final class PostgresGroupCommitTests: XCTestCase {
    private func uniqueApp() -> String { "gc-\(UUID().uuidString.prefix(8))" }

    /// Which failures re-run a shared commit's writes one by one: only SQLSTATEs after which the
    /// statement certainly applied nothing (classes from PostgreSQL's errcodes table).
    func testOnlyARefusalThatAppliedNothingReRunsTheBatchWriteByWrite() {
        for state in ["54000", "23505", "22001", "40P01", "40001", "42P01"] {
            XCTAssertTrue(PostgresBackend.leftNothingApplied(state), state)
        }
        // Connection exception, admin shutdown / terminated backend, I/O error, internal error:
        // the commit may have happened.
        for state in ["08006", "08003", "57P01", "57P02", "58030", "XX000"] {
            XCTAssertFalse(PostgresBackend.leftNothingApplied(state), state)
        }
    }

    func testConcurrentWritersToDifferentFilesShareCommitsAndAnotherServerReadsThem() throws {
        let (first, second) = (try postgresBackend(), try postgresBackend())
        defer { first.close(); second.close() }
        let (name, key) = (uniqueApp(), AppKey.generate())
        let writer = try SealedKV(appName: name, appKey: key, backend: first)
        let writers = 8, perWriter = 30
        let statementsBefore = first.statementCount
        onThreads(writers) { index in
            for round in 0..<perWriter {
                do {
                    try writer.put("fs:/w\(index)", bytes("writer \(index) round \(round)"))
                    try writer.apply([.put(key: bytes("fs:/pair\(index)-a"), value: bytes("\(round)")),
                                      .put(key: bytes("fs:/pair\(index)-b"), value: bytes("\(round)"))])
                } catch {
                    XCTFail("writer \(index): \(error)")
                }
            }
        }
        let (commits, writes) = first.commitStatistics
        XCTAssertEqual(writes, 2 * writers * perWriter)
        XCTAssertLessThan(commits, writes, "no commit was shared among \(writers) concurrent writers")
        // Each commit is one round trip, its revocation of other nodes' read leases included.
        XCTAssertEqual(first.statementCount - statementsBefore, commits,
                       "a commit took more than one round trip")
        let reader = try SealedKV(appName: name, appKey: key, backend: second)
        for index in 0..<writers {
            XCTAssertEqual(try reader.get("fs:/w\(index)"), bytes("writer \(index) round \(perWriter - 1)"))
            XCTAssertEqual(try reader.get("fs:/pair\(index)-a"), bytes("\(perWriter - 1)"))
            XCTAssertEqual(try reader.get("fs:/pair\(index)-b"), bytes("\(perWriter - 1)"))
        }
        XCTAssertEqual(try reader.count(), 3 * writers)
    }

    /// Writers of one file, sharing commits: the file always holds one whole value somebody
    /// wrote, and a create (insert-if-absent) never replaces a value written before it.
    func testConcurrentWritersToTheSameFileLeaveOneWholeValue() throws {
        let (first, second) = (try postgresBackend(), try postgresBackend())
        defer { first.close(); second.close() }
        let (name, key) = (uniqueApp(), AppKey.generate())
        let kv = try SealedKV(appName: name, appKey: key, backend: first)
        let other = try SealedKV(appName: name, appKey: key, backend: second)
        let written = SharedValue<Set<[UInt8]>>([])
        onThreads(8) { index in
            for round in 0..<25 {
                let value = bytes("w\(index)-r\(round)-") + [UInt8](repeating: UInt8(index), count: 200 + index * 50)
                written.mutate { $0.insert(value) }
                do {
                    try kv.put("fs:/shared", value)
                    // Every writer also creates one file: whichever create commits first wins.
                    try kv.apply([.create(key: bytes("fs:/created"), value: bytes("by \(index)"))])
                    let seen = try XCTUnwrap(other.get("fs:/shared"))
                    XCTAssertTrue(written.value.contains(seen), "another server read a value nobody wrote whole")
                } catch {
                    XCTFail("writer \(index): \(error)")
                }
            }
        }
        let final = try XCTUnwrap(other.get("fs:/shared"))
        XCTAssertTrue(written.value.contains(final))
        XCTAssertEqual(try kv.get("fs:/shared"), final)
        let created = try XCTUnwrap(other.get("fs:/created"))
        XCTAssertTrue((0..<8).map { bytes("by \($0)") }.contains(created))
        XCTAssertLessThan(first.commitStatistics.commits, first.commitStatistics.writes, "no commit was shared")
    }

    /// Under a quota, the first write of a row asks the database for its stored size; a rewrite
    /// of the same row is one round trip (the commit), and the counted usage stays exact.
    func testARewriteUnderAQuotaIsOneRoundTrip() throws {
        let backend = try postgresBackend()
        defer { backend.close() }
        var limits = SealedKVLimits.default
        limits.maxStoredBytes = 1 << 20
        limits.maxEntries = 100
        let kv = try SealedKV(appName: uniqueApp(), appKey: .generate(), backend: backend, limits: limits)
        try kv.apply([.put(key: bytes("fs:/f"), value: bytes("first")), .put(key: bytes("fs:/f.times"), value: bytes("t"))])
        for round in 0..<5 {
            let before = backend.statementCount
            try kv.apply([.put(key: bytes("fs:/f"), value: [UInt8](repeating: 1, count: 100 * round)),
                          .put(key: bytes("fs:/f.times"), value: bytes("t\(round)"))])
            XCTAssertEqual(backend.statementCount - before, 1, "round \(round): a rewrite asked for sizes again")
        }
        XCTAssertTrue(try kv.delete("fs:/f.times"))
        XCTAssertEqual(try kv.usage(), try backend.usage(namespace: kv.namespaceID()))
        XCTAssertThrowsError(try kv.put("fs:/big", [UInt8](repeating: 2, count: 1 << 20)))
        XCTAssertEqual(try kv.usage(), try backend.usage(namespace: kv.namespaceID()))
    }

    /// A job the database refuses (here a row name too long for PostgreSQL's index) fails alone:
    /// the writers that shared its commit still succeed.
    func testAWriteTheDatabaseRefusesFailsAloneInASharedCommit() throws {
        let backend = try postgresBackend()
        defer { backend.close() }
        let namespace = Array(UUID().uuidString.utf8)
        // Random bytes do not compress: the index entry stays over btree's limit (2704 bytes).
        let tooLong = (0..<6000).map { _ in UInt8.random(in: 0...255) }
        let refused = SharedValue(0), failedGood = SharedValue<[String]>([])
        onThreads(8) { index in
            for round in 0..<20 {
                let name = index == 0 ? tooLong + [UInt8(round)] : bytes("row \(index)")
                do {
                    try backend.apply(namespace: namespace, writes: [.put(name: name, sealedName: [1], value: bytes("\(round)"))])
                    if index == 0 { XCTFail("PostgreSQL accepted an index row of \(name.count) bytes") }
                } catch {
                    if index == 0 { refused.mutate { $0 += 1 } } else { failedGood.mutate { $0.append("\(error)") } }
                }
            }
        }
        XCTAssertEqual(refused.value, 20)
        XCTAssertEqual(failedGood.value.count, 0, "good writes failed with a refused one, first: \(failedGood.value.first ?? "")")
        for index in 1..<8 {
            XCTAssertEqual(try backend.value(namespace: namespace, name: bytes("row \(index)")), bytes("19"))
        }
    }

    /// Writers keep writing through a database crash (immediate shutdown, WAL replay on
    /// restart), retrying a failed write as a client would, and go on for a while after the
    /// restart: every write acknowledged before, during or after the crash is there, read
    /// through a new connection.
    func testAcknowledgedConcurrentWritesSurviveADatabaseCrash() throws {
        let backend = try postgresBackend()
        defer { backend.close() }
        let (name, key) = (uniqueApp(), AppKey.generate())
        let kv = try SealedKV(appName: name, appKey: key, backend: backend)
        let writers = 6, roundsAfterRestart = 20, maxRounds = 100_000
        let written = SharedValue<[Int: Int]>([:]), restarted = SharedValue(false)
        onThreads(writers + 1) { index in
            guard index < writers else {
                let deadline = Date().addingTimeInterval(60)
                while written.value.values.reduce(0, +) < writers * 10 {
                    guard Date() < deadline else { return XCTFail("the writers made no progress before the crash") }
                    usleep(1000)
                }
                do {
                    try PrivatePostgres.crashAndRestart()
                } catch {
                    XCTFail("crash and restart: \(error)")
                }
                restarted.mutate { $0 = true }
                return
            }
            var round = 0, lastRound = maxRounds
            while round < lastRound {
                let deadline = Date().addingTimeInterval(60)
                while !Self.tryPut(kv, "fs:/w\(index)-\(round)", bytes("\(index).\(round)")) {
                    guard Date() < deadline else { return XCTFail("writer \(index) could not write after the restart") }
                    usleep(20_000)
                }
                round += 1
                written.mutate { $0[index] = round }
                if lastRound == maxRounds, restarted.value { lastRound = round + roundsAfterRestart }
            }
        }
        XCTAssertTrue(restarted.value)
        let reopened = try SealedKV(appName: name, appKey: key, backend: try postgresBackend())
        for (index, rounds) in written.value {
            XCTAssertLessThan(rounds, maxRounds, "writer \(index) never saw the restart")
            for round in 0..<rounds {
                XCTAssertEqual(try reopened.get("fs:/w\(index)-\(round)"), bytes("\(index).\(round)"),
                               "acknowledged write \(index).\(round) was lost")
            }
        }
        XCTAssertEqual(written.value.count, writers)
    }

    /// Whether the write was acknowledged.
    private static func tryPut(_ kv: SealedKV, _ key: String, _ value: [UInt8]) -> Bool {
        do {
            try kv.put(key, value)
            return true
        } catch {
            return false
        }
    }
}
