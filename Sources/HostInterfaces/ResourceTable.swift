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
    private var entries: [UInt32: Value] = [:]
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

    /// Every live entry (for end-of-call cleanup).
    public var values: Dictionary<UInt32, Value>.Values { entries.values }

    /// Stores `value` and returns its new rep.
    public mutating func insert(_ value: Value) throws -> UInt32 {
        guard entries.count < capacity, nextRep < UInt32.max else { throw Failure.full(resource: name, capacity: capacity) }
        let rep = nextRep
        nextRep += 1
        entries[rep] = value
        return rep
    }

    /// The entry of `rep`. - Throws: `unknown`.
    public func get(_ rep: UInt32) throws -> Value {
        guard let value = entries[rep] else { throw Failure.unknown(resource: name, rep: rep) }
        return value
    }

    /// Replaces the entry of a live `rep`. - Throws: `unknown`.
    public mutating func set(_ rep: UInt32, _ value: Value) throws {
        guard entries[rep] != nil else { throw Failure.unknown(resource: name, rep: rep) }
        entries[rep] = value
    }

    /// Removes and returns the entry of `rep`. - Throws: `unknown`.
    @discardableResult
    public mutating func remove(_ rep: UInt32) throws -> Value {
        guard let value = entries.removeValue(forKey: rep) else { throw Failure.unknown(resource: name, rep: rep) }
        return value
    }

    /// Empties the table, returning what it held.
    public mutating func removeAll() -> [Value] {
        defer { entries.removeAll() }
        return Array(entries.values)
    }
}
