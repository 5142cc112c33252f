import Foundation

/// Group commit for one writer connection: writers that arrive while a commit is being made
/// durable queue up, and the next commit carries all of them, so N concurrent writers share one
/// fsync instead of paying N. Durability is unchanged: no writer returns before the commit
/// holding its changes is durable, and a single writer never waits for company.
///
/// How: every writer appends a `Job` and either becomes the *leader* (when nobody leads) or waits.
/// The leader takes everything queued, runs it in one transaction (each job inside its own
/// savepoint, so one job's failure rolls back only that job), commits, completes the jobs, then
/// hands leadership to the oldest waiter, if any, whose own job is in the next batch. A job that
/// must run alone (`standalone`, e.g. one followed by a checkpoint) gets a batch of its own.
final class GroupCommit<Connection>: @unchecked Sendable {
    // @unchecked: `queue` and `leading` and every `Job`'s outcome are only read or written while
    // holding `condition`; `connection` is used only by the current leader, and there is at most
    // one leader at a time (the `leading` flag, under `condition`).

    /// What one writer asked for and, once its batch is done, how it went.
    final class Job {
        let body: (Connection) throws -> Void
        let standalone: Bool
        var outcome: Result<Void, Error>?
        var promotedToLeader = false

        init(body: @escaping (Connection) throws -> Void, standalone: Bool) {
            self.body = body
            self.standalone = standalone
        }
    }

    /// The transaction primitives of the connection.
    struct Transactions {
        var begin: (Connection) throws -> Void
        var commit: (Connection) throws -> Void
        var rollback: (Connection) -> Void
        var savepoint: (Connection) throws -> Void
        var releaseSavepoint: (Connection) throws -> Void
        var rollbackToSavepoint: (Connection) throws -> Void
    }

    /// Most jobs in one commit, so one transaction (and the memory it holds) stays bounded.
    static var maxJobsPerCommit: Int { 256 }

    private let connection: Connection
    private let transactions: Transactions
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var leading = false
    private var commits = 0
    private var committedJobs = 0

    init(connection: Connection, transactions: Transactions) {
        self.connection = connection
        self.transactions = transactions
    }

    /// Commits made and jobs they carried (jobs per commit > 1 means commits were shared).
    var statistics: (commits: Int, jobs: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (commits, committedJobs)
    }

    /// Runs `body` inside a durable commit, possibly shared with other writers' jobs.
    /// - Parameter standalone: run in a transaction of its own (and `afterCommit` may then use
    ///   the connection outside any transaction, e.g. for a checkpoint).
    /// - Throws: what `body` threw (only its own changes are rolled back), or the commit's error.
    func write<T>(standalone: Bool = false, _ body: @escaping (Connection) throws -> T,
                  afterCommit: ((Connection) -> Void)? = nil) throws -> T {
        var value: T?
        let job = Job(body: { connection in value = try body(connection) }, standalone: standalone)
        condition.lock()
        queue.append(job)
        var isLeader = !leading
        if isLeader { leading = true }
        while !isLeader && job.outcome == nil {
            condition.wait()
            if job.promotedToLeader { isLeader = true }
        }
        condition.unlock()
        if isLeader { lead(afterCommit: afterCommit, until: job) }
        condition.lock()
        let outcome = job.outcome
        condition.unlock()
        try outcome?.get()
        guard let value else {
            throw SealedStoreError.backend(operation: "group commit", code: 0, message: "a job finished without a result")
        }
        return value
    }

    /// Leads batches until `own` is done, then hands over to the oldest waiter (or stops leading).
    private func lead(afterCommit: ((Connection) -> Void)?, until own: Job) {
        while true {
            condition.lock()
            let batch = takeBatch()
            condition.unlock()
            if !batch.isEmpty { run(batch, afterCommit: batch.contains { $0 === own } ? afterCommit : nil) }
            condition.lock()
            commits += batch.isEmpty ? 0 : 1
            committedJobs += batch.count
            let ownDone = own.outcome != nil
            if ownDone {
                if let next = queue.first {
                    next.promotedToLeader = true
                } else {
                    leading = false
                }
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next batch: the queued jobs in order, up to the cap; a standalone job alone.
    private func takeBatch() -> [Job] {
        guard let first = queue.first else { return [] }
        if first.standalone {
            queue.removeFirst()
            return [first]
        }
        var count = 0
        while count < queue.count, count < Self.maxJobsPerCommit, !queue[count].standalone { count += 1 }
        let batch = Array(queue[0..<count])
        queue.removeFirst(count)
        return batch
    }

    /// One transaction for `batch`; sets every job's outcome (under the condition's lock).
    private func run(_ batch: [Job], afterCommit: ((Connection) -> Void)?) {
        var outcomes: [Result<Void, Error>] = []
        outcomes.reserveCapacity(batch.count)
        do {
            try transactions.begin(connection)
            for job in batch {
                outcomes.append(runInSavepoint(job))
            }
            try transactions.commit(connection)
        } catch {
            // BEGIN or COMMIT failed: nothing of this batch is durable.
            transactions.rollback(connection)
            outcomes = batch.map { _ in .failure(error) }
        }
        if let afterCommit, batch.count == 1, batch[0].standalone { afterCommit(connection) }
        condition.lock()
        for (job, outcome) in zip(batch, outcomes) { job.outcome = outcome }
        condition.unlock()
    }

    private func runInSavepoint(_ job: Job) -> Result<Void, Error> {
        do {
            try transactions.savepoint(connection)
        } catch {
            return .failure(error)
        }
        do {
            try job.body(connection)
            try transactions.releaseSavepoint(connection)
            return .success(())
        } catch {
            // Undo only this job; the others of the batch still commit.
            try? transactions.rollbackToSavepoint(connection)
            try? transactions.releaseSavepoint(connection)
            return .failure(error)
        }
    }
}
