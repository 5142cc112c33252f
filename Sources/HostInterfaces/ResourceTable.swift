/// Host-side state of one kind of resource (descriptors, streams, …) for one call, by rep.
///
/// Reps are what the component layer hands back to us in `.handle(rep)`; they are ours to
/// choose. They start at 1 and are never reused within a session, so a stale rep can never
/// reach a newer object. The table is capped: a guest that opens without dropping runs into
/// `full` instead of growing host memory without bound.
public struct ResourceTable<Value> {
    /// The WIT name of the resource, for error texts.
    public let name: String
    /// Most live entries.
    public let capacity: Int
    /// Live entries sorted by rep (reps only grow, so an insert appends): a call holds a few
    /// handles, for which an array beats a dictionary (no hashing, no table to allocate and
    /// grow per session); lookups are a binary search, so a full table stays O(log n).
    private var entries: [(rep: UInt32, value: Value)] = []
    private var nextRep: UInt32 = 1

    /// Why a table operation failed.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// `capacity` entries are live.
        case full(resource: String, capacity: Int)
        /// No live entry has this rep (never made, or already dropped).
        case unknown(resource: String, rep: UInt32)

        /// Names the resource and what to do.
        public var description: String {
            switch self {
            case .full(let resource, let capacity):
                return "too many open \(resource) handles (limit \(capacity)); drop handles you no longer need"
            case .unknown(let resource, let rep):
                return "no live \(resource) with handle \(rep) (already dropped?)"
            }
        }
    }

    /// An empty table.
    public init(name: String, capacity: Int) {
        self.name = name
        self.capacity = capacity
    }

    /// Number of live entries.
    public var count: Int { entries.count }

    /// Every live entry (for end-of-call cleanup), oldest first.
    public var values: [Value] { entries.map(\.value) }

    /// Stores `value` and returns its new rep.
    public mutating func insert(_ value: Value) throws -> UInt32 {
        guard entries.count < capacity, nextRep < UInt32.max else { throw Failure.full(resource: name, capacity: capacity) }
        let rep = nextRep
        nextRep += 1
        entries.append((rep, value))
        return rep
    }

    /// The entry of `rep`. - Throws: `unknown`.
    public func get(_ rep: UInt32) throws -> Value {
        guard let index = index(of: rep) else { throw Failure.unknown(resource: name, rep: rep) }
        return entries[index].value
    }

    /// Replaces the entry of a live `rep`. - Throws: `unknown`.
    public mutating func set(_ rep: UInt32, _ value: Value) throws {
        guard let index = index(of: rep) else { throw Failure.unknown(resource: name, rep: rep) }
        entries[index].value = value
    }

    /// Removes and returns the entry of `rep`. - Throws: `unknown`.
    @discardableResult
    public mutating func remove(_ rep: UInt32) throws -> Value {
        guard let index = index(of: rep) else { throw Failure.unknown(resource: name, rep: rep) }
        return entries.remove(at: index).value
    }

    /// The position of live `rep` in `entries` (binary search), or nil.
    private func index(of rep: UInt32) -> Int? {
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].rep < rep { low = middle + 1 } else { high = middle }
        }
        return low < entries.count && entries[low].rep == rep ? low : nil
    }

    /// Empties the table, returning what it held.
    public mutating func removeAll() -> [Value] {
        defer { entries.removeAll() }
        return entries.map(\.value)
    }
}
