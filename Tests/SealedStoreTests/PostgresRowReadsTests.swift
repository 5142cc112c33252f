import Foundation
import Synchronization
import XCTest
@testable import SealedStore

/// Single-row reads shared by concurrent callers (`PostgresRowReads`, `PostgresStatementBatcher`)
/// against the real private PostgreSQL: a shared statement answers every read as a read alone
/// would, and concurrent readers through one backend each get their own row's answer.
final class PostgresRowReadsTests: XCTestCase {
    private func randomBytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }

    /// Reads of values and of sizes, of rows present and absent, the same row twice and rows of
    /// two namespaces, in one shared statement, answer as each read alone does.
    func testASharedStatementAnswersEveryReadAsAReadAlone() throws {
        let pool = try PostgresPool(url: PostgresURL(parsing: PrivatePostgres.url()))
        defer { pool.close() }
        let backend = try postgresBackend()
        defer { backend.close() }
        let (first, second) = (randomBytes(32), randomBytes(32))
        let stored: [(ns: [UInt8], name: [UInt8], sealedName: [UInt8], value: [UInt8])] = [
            (first, randomBytes(32), randomBytes(48), randomBytes(40)),
            (first, randomBytes(32), randomBytes(16), []),
            (second, randomBytes(32), randomBytes(48), randomBytes(70_000)),
        ]
        for row in stored {
            try backend.apply(namespace: row.ns, writes: [.put(name: row.name, sealedName: row.sealedName, value: row.value)])
        }
        let absent = randomBytes(32)
        var reads: [PostgresRowReads.Read] = []
        for row in stored {
            reads.append(.init(namespace: row.ns, name: row.name, wantsValue: true))
            reads.append(.init(namespace: row.ns, name: row.name, wantsValue: false))
        }
        reads += [.init(namespace: first, name: absent, wantsValue: true), .init(namespace: first, name: absent, wantsValue: false),
                  // A row of one namespace asked in the other is absent there.
                  .init(namespace: second, name: stored[0].name, wantsValue: true), reads[0]]

        let shared = PostgresRowReads.run(reads, pool: pool)
        XCTAssertEqual(shared.count, reads.count)
        for (index, read) in reads.enumerated() {
            let alone = try XCTUnwrap(PostgresRowReads.run([read], pool: pool).first).get()
            let answer = try shared[index].get()
            XCTAssertEqual(answer == nil, alone == nil, "read \(index): present in one answer only")
            if read.wantsValue {
                XCTAssertEqual(answer?.value, alone?.value, "read \(index): another value")
            } else {
                XCTAssertEqual(answer?.size, alone?.size, "read \(index): another size")
                XCTAssertNil(answer?.value, "read \(index): a value was sent to a read of the size only")
            }
        }
        // The sizes are the stored bytes (sealed name and value), the values the stored ones.
        XCTAssertEqual(try shared[1].get()?.size, Int64(48 + 40))
        XCTAssertEqual(try shared[3].get()?.size, 16)
        XCTAssertEqual(try shared[4].get()?.value, stored[2].value)
        XCTAssertEqual(try shared[2].get()?.value, [])
        XCTAssertNil(try shared[6].get())
        XCTAssertNil(try shared[8].get())
    }

    /// Concurrent readers of one backend share statements, and each gets its own row: a value
    /// read by a thread is the one it wrote last, the sizes match, absent rows are absent.
    func testConcurrentReadersShareStatementsAndEachGetsItsOwnRow() throws {
        // Without the read cache, so the statements counted are only reads and commits (no
        // lease grants or revocations).
        var url = try PostgresURL(parsing: PrivatePostgres.url())
        url.readCache = false
        let backend = try PostgresBackend(url: url)
        defer { backend.close() }
        let namespace = randomBytes(32)
        let threads = 8, rounds = 40
        let failures = Mutex<[String]>([])
        let statementsBefore = backend.statementCount
        let done = DispatchGroup()
        for thread in 0..<threads {
            done.enter()
            Thread {
                defer { done.leave() }
                let name = Array("row-\(thread)".utf8), missing = Array("missing-\(thread)".utf8)
                do {
                    for round in 0..<rounds {
                        let value = Array("value \(round) of \(thread)".utf8)
                        try backend.apply(namespace: namespace, writes: [.put(name: name, sealedName: [7], value: value)])
                        let read = try backend.value(namespace: namespace, name: name)
                        let size = try backend.storedSize(namespace: namespace, name: name)
                        let absent = try backend.value(namespace: namespace, name: missing)
                        if read != value || size != value.count + 1 || absent != nil {
                            failures.withLock { $0.append("thread \(thread) round \(round): \(String(describing: read)), \(String(describing: size)), \(String(describing: absent))") }
                            return
                        }
                    }
                } catch {
                    failures.withLock { $0.append("thread \(thread): \(error)") }
                }
            }.start()
        }
        done.wait()
        XCTAssertEqual(failures.withLock { $0 }, [])
        let (batches, reads) = backend.readStatistics
        XCTAssertEqual(reads, threads * rounds * 3)
        XCTAssertLessThan(batches, reads, "no read shared a statement")
        let (commits, _) = backend.commitStatistics
        XCTAssertEqual(backend.statementCount - statementsBefore, batches + commits, "a read was not one statement per batch")
    }
}
