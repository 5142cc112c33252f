/// The handle operations of one lift or lower (one host-import call, or one export call's
/// arguments or results): maps `own<R>` / `borrow<R>` values between the guest's handle
/// indices and the implementation's `rep`s, and remembers the borrows it lent so they can be
/// released when the host call returns.
final class HandleScope {
    let table: HandleTable
    /// Resource implementations by unique name (from the link plan).
    let resources: [String: ResourceImpl]
    /// The component instance that owns `table`.
    let instance: Int
    /// Names the operation in trap messages, e.g. `wasi:io/streams@0.2.0#[method]output-stream.write`.
    let context: String
    /// Handles lent by `liftBorrow` during this operation.
    private(set) var lenders: [UInt32] = []

    init(table: HandleTable, resources: [String: ResourceImpl], instance: Int, context: String) {
        self.table = table
        self.resources = resources
        self.instance = instance
        self.context = context
    }

    /// What a scope is made of, kept by a `GuestAccess` until a handle first crosses.
    struct Source {
        let table: HandleTable
        let resources: [String: ResourceImpl]
        let instance: Int
        let context: String
    }

    convenience init(_ source: Source) {
        self.init(table: source.table, resources: source.resources, instance: source.instance, context: source.context)
    }

    /// The guest passes (or returns) an owned handle: it leaves the guest's table.
    func liftOwn(_ index: UInt32, _ resource: String) throws -> UInt32 {
        try table.liftOwn(index, resource, context)
    }

    /// The guest lends a handle to a host call.
    func liftBorrow(_ index: UInt32, _ resource: String) throws -> UInt32 {
        try table.liftBorrow(index, resource, lenders: &lenders, context)
    }

    /// The guest receives ownership of `rep`: a new owned handle.
    func lowerOwn(_ rep: UInt32, _ resource: String) throws -> UInt32 {
        try table.lowerOwn(rep, resource, context)
    }

    /// The guest receives a borrow of `rep` for the current export call. A component instance
    /// borrowing a resource it implements gets the rep itself (spec: `cx.inst is t.rt.impl`).
    func lowerBorrow(_ rep: UInt32, _ resource: String) throws -> UInt32 {
        if resources[resource]?.isImplemented(by: instance) == true { return rep }
        return try table.lowerBorrow(rep, resource, context)
    }

    /// Ends every lend of this operation (after the host call returns or fails).
    func releaseLenders() {
        guard !lenders.isEmpty else { return }
        table.release(lenders)
        // The scope is kept for the import's next call, which lends again.
        lenders.removeAll(keepingCapacity: true)
    }
}
