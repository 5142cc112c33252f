// The guest's resource handle table and the canonical ABI's handle rules (definitions.py
// `ResourceHandle`, `Table`, `lift_own`, `lift_borrow`, `lower_own`, `lower_borrow`,
// `canon_resource_drop`), for synchronous calls. Every handle index comes from the guest and is
// hostile: each misuse is a trap whose reason names the handle, its type and what was wrong.

/// One live handle: which resource type, the implementation's `rep`, and the borrow bookkeeping.
struct HandleEntry {
    /// The resource type's unique name in the link plan.
    var resource: String
    var rep: UInt32
    /// An owned handle (dropping it destroys the resource) or a borrow.
    var own: Bool
    /// How many in-progress host calls have this handle lent out as a `borrow` argument; an
    /// owned handle cannot be moved or dropped while lent.
    var lends: Int = 0
}

/// The cap on handle-table slots shared by every component instance of one instantiation
/// tree, so that nesting cannot multiply it.
final class HandleBudget {
    private(set) var used = 0

    /// Takes one slot, or traps naming the cap.
    func claim(_ context: @autoclosure () -> String) throws {
        guard used < HandleTable.maxHandles else {
            throw ComponentError.trap("\(context()): more than \(HandleTable.maxHandles) resource handle slots across the component's instances")
        }
        used += 1
    }

    /// Back to no slots (every table sharing the budget is being replaced).
    func reset() { used = 0 }
}

/// The handle table of one component instance. Index 0 is never used, so a zeroed or default
/// value from the guest is never a valid handle; freed slots are reused LIFO (the spec's order).
final class HandleTable {
    /// Far below the spec's 2^28 - 1: each live handle costs host memory, and no real guest
    /// holds a million resources in one call. Counted across all tables sharing a budget.
    static let maxHandles = 1 << 20

    private let budget: HandleBudget

    init(budget: HandleBudget = HandleBudget()) {
        self.budget = budget
    }

    private var slots: [HandleEntry?] = [nil]
    private var free: [UInt32] = []
    /// Borrowed handles given to the guest for the current export call and not yet dropped
    /// (the spec's `num_borrows` of the export's task); must be zero when the export returns.
    private(set) var outstandingBorrows = 0

    /// Slots an emptied table keeps allocated for its next call; a table that grew past this
    /// gives its storage back.
    static let keptSlots = 256

    /// Back to an empty table, as a new one would be (a reused instance between calls).
    func removeAll() {
        guard slots.count > 1 || !free.isEmpty || outstandingBorrows != 0 else { return }
        let keep = slots.capacity <= Self.keptSlots
        slots.removeAll(keepingCapacity: keep)
        slots.append(nil)
        free.removeAll(keepingCapacity: keep)
        outstandingBorrows = 0
    }

    /// Inserts a handle and returns its index.
    func add(_ entry: HandleEntry, _ context: @autoclosure () -> String) throws -> UInt32 {
        if let index = free.popLast() {
            slots[Int(index)] = entry
            return index
        }
        try budget.claim(context())
        slots.append(entry)
        return UInt32(slots.count - 1)
    }

    /// The live entry at `index`, which must be a handle of `resource`.
    func get(_ index: UInt32, _ resource: String, _ context: @autoclosure () -> String) throws -> HandleEntry {
        guard Int(index) < slots.count else {
            throw ComponentError.trap("\(context()): handle \(index) is out of range (the table has \(slots.count - 1) slots)")
        }
        guard let entry = slots[Int(index)] else {
            throw ComponentError.trap(index == 0
                ? "\(context()): handle 0 is never a valid handle"
                : "\(context()): handle \(index) is not live (already dropped or moved)")
        }
        guard entry.resource == resource else {
            throw ComponentError.trap("\(context()): handle \(index) is a \(entry.resource), not a \(resource)")
        }
        return entry
    }

    private func remove(_ index: UInt32) {
        slots[Int(index)] = nil
        free.append(index)
    }

    /// `lift_own`: moves an owned handle out of the table (ownership passes to the callee).
    func liftOwn(_ index: UInt32, _ resource: String, _ context: @autoclosure () -> String) throws -> UInt32 {
        let entry = try get(index, resource, context())
        guard entry.own else {
            throw ComponentError.trap("\(context()): handle \(index) is a borrow of \(resource), but an owned handle is required")
        }
        guard entry.lends == 0 else {
            throw ComponentError.trap("\(context()): handle \(index) cannot be moved while it is lent to a call")
        }
        remove(index)
        return entry.rep
    }

    /// `lift_borrow`: lends a handle for the duration of a host call; the caller must `release`
    /// every index recorded in `lenders` when the call returns.
    func liftBorrow(_ index: UInt32, _ resource: String, lenders: inout [UInt32], _ context: @autoclosure () -> String) throws -> UInt32 {
        let entry = try get(index, resource, context())
        slots[Int(index)]?.lends += 1
        lenders.append(index)
        return entry.rep
    }

    /// Ends the lends recorded by `liftBorrow`.
    func release(_ lenders: [UInt32]) {
        for index in lenders where Int(index) < slots.count {
            if let lends = slots[Int(index)]?.lends, lends > 0 { slots[Int(index)]?.lends = lends - 1 }
        }
    }

    /// `lower_own`: gives the guest a new owned handle to `rep`.
    func lowerOwn(_ rep: UInt32, _ resource: String, _ context: @autoclosure () -> String) throws -> UInt32 {
        try add(HandleEntry(resource: resource, rep: rep, own: true), context())
    }

    /// `lower_borrow` for a resource the guest does not implement: a borrowed handle that the
    /// guest must drop before the export call returns.
    func lowerBorrow(_ rep: UInt32, _ resource: String, _ context: @autoclosure () -> String) throws -> UInt32 {
        let index = try add(HandleEntry(resource: resource, rep: rep, own: false), context())
        outstandingBorrows += 1
        return index
    }

    /// `canon resource.drop`: removes the handle; returns the entry so that the caller runs the
    /// destructor when it was owned.
    func drop(_ index: UInt32, _ resource: String, _ context: @autoclosure () -> String) throws -> HandleEntry {
        let entry = try get(index, resource, context())
        guard entry.lends == 0 else {
            throw ComponentError.trap("\(context()): handle \(index) cannot be dropped while it is lent to a call")
        }
        remove(index)
        if !entry.own { outstandingBorrows -= 1 }
        return entry
    }

    /// `canon resource.rep`: the rep of a handle of a resource the guest defines.
    func rep(_ index: UInt32, _ resource: String, _ context: @autoclosure () -> String) throws -> UInt32 {
        try get(index, resource, context()).rep
    }

    /// Traps if the export call that is returning still holds borrowed handles (spec: a task
    /// may not exit with `num_borrows > 0`).
    func checkBorrowsReleased(_ context: String) throws {
        guard outstandingBorrows == 0 else {
            throw ComponentError.trap("\(context): returned without dropping \(outstandingBorrows) borrowed handle\(outstandingBorrows == 1 ? "" : "s") lent to it")
        }
    }

    /// Reps of live handles of `resource`, in handle order.
    func liveReps(of resource: String) -> [UInt32] {
        slots.compactMap { $0?.resource == resource ? $0?.rep : nil }
    }

    /// Live handles of every type.
    var liveCount: Int { slots.count - 1 - free.count }
}
