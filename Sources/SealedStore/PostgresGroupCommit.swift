/// Group commit for the PostgreSQL backend: writers that arrive while a commit is on its way to
/// the database queue up, and the next commit carries all of them as **one statement** (one round
/// trip, one transaction, one WAL flush), so N concurrent writers of one node share one commit
/// instead of each paying a round trip and a flush. Durability is unchanged: no writer returns
/// before the commit holding its writes is acknowledged by PostgreSQL (WAL flushed), and a writer
/// alone never waits for company.
///
/// How: `PostgresStatementBatcher` (a leader runs the queued jobs, up to `maxJobsPerCommit` jobs
/// and `maxBytesPerCommit` bytes, through `execute` as one commit, then hands leadership on).
///
/// A batch is applied as if its jobs ran one after the other in queue order (`execute` merges
/// writes to the same row that way), and all of it commits or none. When the database refuses a
/// shared batch (an answered error: the statement was rolled back, nothing was applied), every
/// job of it is run again alone, so one job's problem fails only that job. A connection lost
/// mid-commit fails the whole batch: whether it committed is unknown, as for a lone writer.
final class PostgresGroupCommit: Sendable {
    /// One writer's writes to one namespace.
    struct Job: Sendable {
        var namespace: [UInt8]
        var writes: [StorageWrite]

        /// Bytes the job sends (names, sealed names, values).
        var bytes: Int {
            writes.reduce(namespace.count) { total, write in
                switch write {
                case .put(let name, let sealedName, let value), .insert(let name, let sealedName, let value):
                    total + name.count + sealedName.count + value.count
                case .delete(let name):
                    total + name.count
                }
            }
        }
    }

    /// Why a commit failed: the error for its writers, and whether the database refused the
    /// statement (it answered with an error: the statement was rolled back, nothing applied), as
    /// opposed to a lost connection, after which whether it committed is unknown.
    struct Failure: Error {
        var error: SealedStoreError
        var refusedByDatabase: Bool
        /// Whether the statement may have reached the database (false: it failed before it was
        /// sent, e.g. no connection became free, so nothing was applied and nothing can land later).
        var sent = true
    }

    /// Most jobs in one commit, so one statement (and the memory it holds) stays bounded.
    static let maxJobsPerCommit = 256
    /// Most bytes in one shared commit; a larger job commits alone (PostgreSQL caps one protocol
    /// message at 1 GiB, and a huge statement would delay the small writes sharing it).
    static let maxBytesPerCommit = 4 << 20

    private let batcher: PostgresStatementBatcher<Job, Void>

    /// `execute` runs jobs as one atomic, durable commit.
    init(execute: @escaping @Sendable ([Job]) throws(Failure) -> Void) {
        batcher = PostgresStatementBatcher(maxJobs: Self.maxJobsPerCommit, maxCost: Self.maxBytesPerCommit, cost: \.bytes) { jobs in
            Self.run(jobs, execute)
        }
    }

    /// Commits made and jobs they carried (jobs per commit > 1 means commits were shared).
    var statistics: (commits: Int, jobs: Int) {
        let (batches, jobs) = batcher.statistics
        return (batches, jobs)
    }

    /// Applies `job` in a durable commit, possibly shared with other writers' jobs.
    /// - Throws: the database's error for this job (only its own writes were not applied), or
    ///   the batch's error when the connection failed during the commit.
    func write(_ job: Job) throws {
        try batcher.submit(job)
    }

    /// One commit for `batch`; when the database refuses a shared one, each job alone.
    private static func run(_ batch: [Job], _ execute: ([Job]) throws(Failure) -> Void) -> [Result<Void, any Error>] {
        do {
            try execute(batch)
            return batch.map { _ in .success(()) }
        } catch {
            guard batch.count > 1, error.refusedByDatabase else { return batch.map { _ in .failure(error.error) } }
            return batch.map { job in
                do throws(Failure) {
                    try execute([job])
                    return .success(())
                } catch {
                    return .failure(error.error)
                }
            }
        }
    }
}
