@_spi(Fuzzing) import WasmKit

/// Caps the linear memory of one instantiation tree (every core instance of every nested
/// component instance shares one Store and this limiter): each memory, and all memories
/// together, stay within `maxBytes`. Remembers that a growth was refused, so that a trap which
/// follows can be reported as the memory limit rather than as a bare trap.
///
/// WasmKit asks "may a memory become `desired` bytes?" without saying which memory. The total
/// is exact for allocations (the instance announces how many memories the module it is
/// instantiating defines, `expectAllocations`). For a growth the limiter assumes the largest
/// memory no larger than `desired` is the one growing, which is right whenever the growing
/// memory is the largest that small (the usual case: one big memory growing beside small
/// ones). A guess that is wrong can only let a growth through that the true total would refuse;
/// the next request sees the true sizes, and `exceedsTotal` lets the instance fail the call
/// with the memory limit when it returns. Memories of a module that could not be given state
/// exports (`CoreStateRewriter`) are not tracked: only the per-memory cap covers them.
final class MemoryCapLimiter: ResourceLimiter, @unchecked Sendable {
    // @unchecked: used by one thread at a time, the one running the instance's Store (WasmKit
    // calls it synchronously from that thread).

    /// Per call: a reused instance gets the cap of the call it serves.
    private(set) var maxBytes: Int
    /// Set when a growth was denied; read after the call on the same thread.
    private(set) var refused = false
    /// How often a table was created or grown since the last `reset`. A reused instance is
    /// only restored when no table grew (`InstanceSnapshot`): WasmKit has no public table size.
    private(set) var tableGrowthChecks = 0

    /// Memories of instantiated modules, counted by their current size.
    private var tracked: [Memory] = []
    /// Sizes granted to memories of the module being instantiated, not tracked yet.
    private var pending: [Int] = []
    /// Allocations still to come for the module being instantiated.
    private var expectedAllocations = 0

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    /// Prepares the limiter of a reused instance for its next call.
    func reset(maxBytes: Int, refused: Bool) {
        self.maxBytes = maxBytes
        self.refused = refused
        tableGrowthChecks = 0
    }

    /// The next `count` requests are the initial allocations of a module's memories.
    func expectAllocations(_ count: Int) {
        expectedAllocations = count
        pending.removeAll()
    }

    /// The memories the module just instantiated defines; from now on they count by their size.
    func track(_ memories: [Memory]) {
        tracked += memories
        pending.removeAll()
        expectedAllocations = 0
    }

    /// Bytes of all tracked memories now (what a fresh instance of the tree needs).
    var trackedBytes: Int { tracked.reduce(0) { $0 + $1.byteCount } }

    /// Whether the memories of the tree together are now over the cap (possible only after a
    /// growth whose memory the limiter guessed wrong; see the type's documentation).
    var exceedsTotal: Bool {
        guard tracked.count > 1 else { return false }
        if trackedBytes > maxBytes {
            refused = true
            return true
        }
        return false
    }

    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        let sizes = tracked.map(\.byteCount) + pending
        let total = sizes.reduce(0, +)
        if expectedAllocations > 0 {
            expectedAllocations -= 1
            guard desired <= maxBytes, total + desired <= maxBytes else { return refuse() }
            pending.append(desired)
            return true
        }
        // The growing memory is one whose size is at most `desired`; assume the largest.
        let grower = sizes.filter { $0 <= desired }.max() ?? 0
        guard desired <= maxBytes, total - grower + desired <= maxBytes else { return refuse() }
        if let index = pending.firstIndex(of: grower) { pending[index] = desired }
        return true
    }

    private func refuse() -> Bool {
        refused = true
        return false
    }

    func limitTableGrowth(to desired: Int) throws -> Bool {
        tableGrowthChecks += 1
        return desired <= 1 << 20
    }
}
