/// The canonical-ABI state of one component instance inside a `ComponentInstance` (the spec's
/// `ComponentInstance` record): its handle table, whether it may leave (call out or use most
/// built-ins; false while its post-return runs), the context slots of its running task, its
/// backpressure counter, and the results `task.return` delivered for async-lifted calls.
/// A component without nested components has exactly one.
final class InstanceState {
    /// Shared by all component instances of one instantiation tree (reset together).
    private(set) var budget: HandleBudget
    var handles: HandleTable
    var mayLeave = true
    /// `context.get/set` slots of the current task (saved and restored around each call).
    var context: (UInt32, UInt32) = (0, 0)
    var backpressure = 0
    /// Async-lifted calls running in this instance, innermost last: the values `task.return`
    /// delivered, once it has been called.
    var tasks: [TaskRecord] = []

    struct TaskRecord {
        var resultType: WITType?
        var results: [ComponentValue]?
    }

    init(budget: HandleBudget) {
        self.budget = budget
        self.handles = HandleTable(budget: budget)
    }

    /// The most backpressure increments a task may hold (the spec's counter is a u16).
    static let maxBackpressure = 0xFFFF

    /// Back to the state of a fresh instance (a reused instance between calls).
    /// `budget` is the tree's fresh handle budget (one per call, shared by all its states).
    func reset(budget: HandleBudget) {
        if budget === self.budget {
            handles.removeAll()
        } else {
            self.budget = budget
            handles = HandleTable(budget: budget)
        }
        mayLeave = true
        context = (0, 0)
        backpressure = 0
        if !tasks.isEmpty { tasks.removeAll() }
    }

    /// Starts a new task of this instance: fresh context slots. Returns the caller's, which
    /// `endTask` puts back.
    func beginTask() -> (UInt32, UInt32) {
        let saved = context
        context = (0, 0)
        return saved
    }

    func endTask(restoring saved: (UInt32, UInt32)) {
        context = saved
    }

    /// Traps unless the instance may leave (not inside its post-return).
    func checkMayLeave(_ what: @autoclosure () -> String) throws {
        guard mayLeave else {
            throw ComponentError.trap("cannot leave component instance: \(what()) called during post-return")
        }
    }

    func contextSlot(_ index: Int) throws -> UInt32 {
        switch index {
        case 0: return context.0
        case 1: return context.1
        default: throw ComponentError.trap("context slot \(index) does not exist")
        }
    }

    func setContextSlot(_ index: Int, _ value: UInt32) throws {
        switch index {
        case 0: context.0 = value
        case 1: context.1 = value
        default: throw ComponentError.trap("context slot \(index) does not exist")
        }
    }
}
