import Dispatch
import Synchronization

/// Group commit for the PostgreSQL backend: writers that arrive while a commit is on its way to
/// the database queue up, and the next commit carries all of them as **one statement** (one round
/// trip, one transaction, one WAL flush), so N concurrent writers of one node share one commit
/// instead of each paying a round trip and a flush. Durability is unchanged: no writer returns
/// before the commit holding its writes is acknowledged by PostgreSQL (WAL flushed), and a writer
/// alone never waits for company.
///
/// How: a writer queues its job and either becomes the *leader* (nobody leads) or sleeps on its
/// own semaphore. The leader takes everything queued (up to `maxJobsPerCommit` jobs and
/// `maxBytesPerCommit` bytes), runs it through `execute` as one commit, wakes each writer of the
/// batch, then hands leadership to the oldest waiter, whose job is in the next batch.
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
    }

    /// Most jobs in one commit, so one statement (and the memory it holds) stays bounded.
    static let maxJobsPerCommit = 256
    /// Most bytes in one shared commit; a larger job commits alone (PostgreSQL caps one protocol
    /// message at 1 GiB, and a huge statement would delay the small writes sharing it).
    static let maxBytesPerCommit = 4 << 20

    /// A queued job, how it went, and the semaphore its writer sleeps on.
    private final class Waiter: Sendable {
        let job: Job
        let bytes: Int
        let wake = DispatchSemaphore(value: 0)
        /// Set by whoever completes or promotes the waiter, before `wake` is signalled.
        let outcome = Mutex<Outcome?>(nil)

        enum Outcome {
            case done(Result<Void, Error>)
            case lead
        }

        init(job: Job) {
            self.job = job
            bytes = job.bytes
        }
    }

    private struct State {
        var queue: [Waiter] = []
        var leading = false
        var commits = 0
        var jobs = 0
    }

    private let state = Mutex(State())
    /// Runs jobs as one atomic, durable commit.
    private let execute: @Sendable ([Job]) throws(Failure) -> Void

    init(execute: @escaping @Sendable ([Job]) throws(Failure) -> Void) {
        self.execute = execute
    }

    /// Commits made and jobs they carried (jobs per commit > 1 means commits were shared).
    var statistics: (commits: Int, jobs: Int) {
        state.withLock { ($0.commits, $0.jobs) }
    }

    /// Applies `job` in a durable commit, possibly shared with other writers' jobs.
    /// - Throws: the database's error for this job (only its own writes were not applied), or
    ///   the batch's error when the connection failed during the commit.
    func write(_ job: Job) throws {
        let own = Waiter(job: job)
        let leads = state.withLock { state -> Bool in
            state.queue.append(own)
            guard !state.leading else { return false }
            state.leading = true
            return true
        }
        if !leads {
            DatabaseWait.willWait()
            own.wake.wait()
            if case .done(let result)? = own.outcome.withLock({ $0 }) { return try result.get() }
        }
        try lead(until: own)
    }

    /// Commits the next batch (it holds `own`: the oldest job is always taken, and a leader is
    /// either the only writer queued or the oldest waiter), then hands leadership on.
    private func lead(until own: Waiter) throws {
        let batch = state.withLock { takeBatch(&$0) }
        let outcomes = run(batch)
        var ownResult: Result<Void, Error> = .failure(SealedStoreError.backend(
            operation: "PostgreSQL: group commit", code: 0, message: "a writer's job was not in its batch (a bug)"))
        for (waiter, outcome) in zip(batch, outcomes) {
            if waiter === own {
                ownResult = outcome
            } else {
                waiter.outcome.withLock { $0 = .done(outcome) }
                waiter.wake.signal()
            }
        }
        let next = state.withLock { state -> Waiter? in
            state.commits += 1
            state.jobs += batch.count
            guard let next = state.queue.first else {
                state.leading = false
                return nil
            }
            return next
        }
        if let next {
            next.outcome.withLock { $0 = .lead }
            next.wake.signal()
        }
        try ownResult.get()
    }

    /// The oldest queued jobs that fit one commit (at least one). Called holding the state.
    private func takeBatch(_ state: inout State) -> [Waiter] {
        var count = 0, bytes = 0
        while count < state.queue.count, count < Self.maxJobsPerCommit {
            let next = state.queue[count].bytes
            if count > 0, bytes + next > Self.maxBytesPerCommit { break }
            bytes += next
            count += 1
        }
        let batch = Array(state.queue[0..<count])
        state.queue.removeFirst(count)
        return batch
    }

    /// One commit for `batch`; when the database refuses a shared one, each job alone.
    private func run(_ batch: [Waiter]) -> [Result<Void, Error>] {
        do {
            try execute(batch.map(\.job))
            return batch.map { _ in .success(()) }
        } catch {
            guard batch.count > 1, error.refusedByDatabase else { return batch.map { _ in .failure(error.error) } }
            return batch.map { waiter in
                do throws(Failure) {
                    try execute([waiter.job])
                    return .success(())
                } catch {
                    return .failure(error.error)
                }
            }
        }
    }
}
