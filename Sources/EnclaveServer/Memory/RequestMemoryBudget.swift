/// The server-wide cap on request bytes held in memory across all connections: frame payloads
/// from the moment their header is read until their response has been written.
///
/// A frame larger than `smallFrameLimit` must reserve its declared length before its body is
/// read. When the budget is spent its connection waits: the frame decoder stops reading from
/// that socket (the bytes stay in the kernel, TCP pushes back on the client) and is called back,
/// first come first served, once enough is released. Small frames (pings, calls, lists) are
/// counted but never wait, so a budget held by large uploads does not stop other clients from
/// being served; they may take the total past `limit` by at most `smallFrameLimit` per
/// connection.
final class RequestMemoryBudget: Sendable {
    /// Bytes of large frames held at once.
    let limit: Int
    /// Frames up to this size never wait (the inline decoding limit of the dispatcher is smaller).
    static let smallFrameLimit = 64 * 1024

    private let state = Locked(State())

    private struct State {
        var used = 0
        var peak = 0
        var releasedSinceTaken = 0
        var nextTicket = 0
        var waiters: [Waiter] = []
    }

    private struct Waiter {
        let ticket: Int
        let bytes: Int
        let grant: @Sendable () -> Void
    }

    /// A place in the queue, to cancel it when the connection goes away.
    struct Ticket: Hashable, Sendable {
        fileprivate let id: Int
    }

    /// What `reserve` did.
    enum Outcome: Sendable {
        /// The bytes are reserved: release them later.
        case reserved
        /// Queued: `grant` will be called (on an arbitrary thread) once the bytes are reserved.
        case queued(Ticket)
    }

    init(limit: Int) {
        self.limit = limit
    }

    /// Reserves `bytes`, or queues `grant` until they fit. A frame larger than the whole
    /// budget is admitted alone (when nothing else is held), so it never waits forever.
    func reserve(_ bytes: Int, grant: @escaping @Sendable () -> Void) -> Outcome {
        state.withLock { state in
            if bytes <= Self.smallFrameLimit || (state.waiters.isEmpty && fits(bytes, state.used)) {
                state.used += bytes
                state.peak = max(state.peak, state.used)
                return .reserved
            }
            state.nextTicket += 1
            state.waiters.append(Waiter(ticket: state.nextTicket, bytes: bytes, grant: grant))
            return .queued(Ticket(id: state.nextTicket))
        }
    }

    /// Gives `bytes` back and admits waiters, in order, while they fit.
    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        let granted = state.withLock { state -> [Waiter] in
            state.used -= bytes
            state.releasedSinceTaken += bytes
            return admitWaiters(&state)
        }
        for waiter in granted { waiter.grant() }
    }

    /// Takes the waiters that now fit off the queue, in order, reserving their bytes.
    private func admitWaiters(_ state: inout State) -> [Waiter] {
        var admitted: [Waiter] = []
        while let first = state.waiters.first, fits(first.bytes, state.used) {
            state.waiters.removeFirst()
            state.used += first.bytes
            state.peak = max(state.peak, state.used)
            admitted.append(first)
        }
        return admitted
    }

    /// Leaves the queue. Returns false if the ticket was already granted (or unknown): then its
    /// grant has run or is running, and the bytes it reserved must be released by its owner.
    func cancel(_ ticket: Ticket) -> Bool {
        let (found, granted) = state.withLock { state -> (Bool, [Waiter]) in
            guard let index = state.waiters.firstIndex(where: { $0.ticket == ticket.id }) else { return (false, []) }
            state.waiters.remove(at: index)
            // The head may have been the one that did not fit: those behind it may now.
            return (true, admitWaiters(&state))
        }
        for waiter in granted { waiter.grant() }
        return found
    }

    private func fits(_ bytes: Int, _ used: Int) -> Bool {
        used + bytes <= limit || used == 0
    }

    /// Bytes released since the last call (the memory sweeper's cue to trim).
    func takeReleasedBytes() -> Int {
        state.withLock { state in
            defer { state.releasedSinceTaken = 0 }
            return state.releasedSinceTaken
        }
    }

    /// Bytes held now, the most ever held, and connections waiting.
    var usage: (used: Int, peak: Int, waiting: Int) {
        state.withLock { ($0.used, $0.peak, $0.waiters.count) }
    }
}
