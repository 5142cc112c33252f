import Dispatch
import Synchronization

/// Lets concurrent callers of one server share a statement: callers that arrive while a
/// statement is on its way to the database queue up, and the next statement carries all of
/// them (one round trip, and for commits one transaction and one WAL flush, instead of one
/// each). A caller alone never waits for company.
///
/// How: a caller queues its job and either becomes the *leader* (nobody leads) or sleeps on its
/// own semaphore. The leader takes the oldest queued jobs (up to `maxJobs` jobs and `maxCost`
/// cost; at least one), runs them through `run`, wakes each caller of the batch with its own
/// answer, then hands leadership to the oldest waiter, whose job is in the next batch. Each
/// waiter is woken once: with its answer, or to lead the batch that holds its job.
final class PostgresStatementBatcher<Job: Sendable, Answer: Sendable>: Sendable {
    /// Runs a batch; one answer per job, in the batch's order.
    typealias Run = @Sendable ([Job]) -> [Result<Answer, any Error>]

    /// A queued job, how it went, and the semaphore its caller sleeps on.
    private final class Waiter: Sendable {
        let job: Job
        let cost: Int
        let wake = DispatchSemaphore(value: 0)
        /// Set by whoever completes or promotes the waiter, before `wake` is signalled.
        let outcome = Mutex<Outcome?>(nil)

        enum Outcome {
            case done(Result<Answer, any Error>)
            case lead
        }

        init(job: Job, cost: Int) {
            self.job = job
            self.cost = cost
        }
    }

    private struct State {
        var queue: [Waiter] = []
        var leading = false
        var batches = 0
        var jobs = 0
    }

    /// Most jobs in one batch, so one statement (and the memory it holds) stays bounded.
    let maxJobs: Int
    /// Most cost (e.g. bytes sent) in one batch of several jobs; a costlier job runs alone.
    let maxCost: Int
    private let cost: @Sendable (Job) -> Int
    private let run: Run
    private let state = Mutex(State())

    init(maxJobs: Int, maxCost: Int = .max, cost: @escaping @Sendable (Job) -> Int = { _ in 1 }, run: @escaping Run) {
        self.maxJobs = max(1, maxJobs)
        self.maxCost = maxCost
        self.cost = cost
        self.run = run
    }

    /// Batches run and jobs they carried (jobs per batch > 1 means statements were shared).
    var statistics: (batches: Int, jobs: Int) {
        state.withLock { ($0.batches, $0.jobs) }
    }

    /// `job`'s answer, from a statement possibly shared with other callers' jobs.
    func submit(_ job: Job) throws -> Answer {
        let own = Waiter(job: job, cost: cost(job))
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
        return try lead(until: own)
    }

    /// Runs the next batch (it holds `own`: the oldest job is always taken, and a leader is
    /// either the only caller queued or the oldest waiter), then hands leadership on.
    private func lead(until own: Waiter) throws -> Answer {
        let batch = state.withLock { takeBatch(&$0) }
        var answers = run(batch.map(\.job))
        if answers.count != batch.count {
            let bug = SealedStoreError.backend(operation: "PostgreSQL: shared statement", code: 0,
                                               message: "\(answers.count) answers for \(batch.count) jobs (a bug)")
            answers = batch.map { _ in .failure(bug) }
        }
        var ownResult: Result<Answer, any Error> = .failure(SealedStoreError.backend(
            operation: "PostgreSQL: shared statement", code: 0, message: "a caller's job was not in its batch (a bug)"))
        for (waiter, answer) in zip(batch, answers) {
            if waiter === own {
                ownResult = answer
            } else {
                waiter.outcome.withLock { $0 = .done(answer) }
                waiter.wake.signal()
            }
        }
        let next = state.withLock { state -> Waiter? in
            state.batches += 1
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
        return try ownResult.get()
    }

    /// The oldest queued jobs that fit one batch (at least one). Called holding the state.
    private func takeBatch(_ state: inout State) -> [Waiter] {
        var count = 0, total = 0
        while count < state.queue.count, count < maxJobs {
            let next = state.queue[count].cost
            if count > 0, total + next > maxCost { break }
            total += next
            count += 1
        }
        let batch = Array(state.queue[0..<count])
        state.queue.removeFirst(count)
        return batch
    }
}
