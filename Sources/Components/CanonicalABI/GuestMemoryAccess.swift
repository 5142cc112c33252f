import WasmKit

/// The guest memory and allocator one lift/lower operation works against, with every access
/// bounds-checked: pointers and lengths come from the guest and are hostile.
final class GuestAccess {
    let memory: Memory?
    let realloc: Function?
    /// Where `realloc` runs (reused interpreter stacks); nil runs it on a stack of its own.
    let stacks: ExecutionStackCache?
    /// How strings are encoded in this guest's memory.
    let encoding: StringEncoding
    /// What the values lifted through this access are, named in the error when they exceed
    /// `liftLimit`.
    enum Lifted: CustomStringConvertible {
        /// An export's results.
        case result
        /// The arguments of the host-import call named (e.g. `wasi:io/streams@0.2.0#…`); its
        /// name is only formatted when the error happens.
        case arguments(of: String)

        var description: String {
            switch self {
            case .result: return "result"
            case .arguments(let name): return "arguments of \(name)"
            }
        }
    }

    let lifted: Lifted
    /// A host call is using this access (see `ComponentInstance.takeHostAccess`).
    var inUse = false
    /// Host memory the values lifted through this access may take (`ExecutionLimits.maxResultBytes`):
    /// stops a guest from returning a small list whose elements all point at the same huge string.
    private(set) var liftLimit: Int
    /// Host memory charged so far (see `charge`).
    private(set) var liftCharged = 0
    /// Handle operations for `own`/`borrow` values; nil where no handle table is reachable.
    /// Made on first use from `handleSource` (most lifts and lowers move no handle), or set.
    var handles: HandleScope? {
        get {
            if let scope { return scope }
            guard let handleSource else { return nil }
            let made = HandleScope(handleSource)
            scope = made
            return made
        }
        set { scope = newValue }
    }
    /// Where `handles` comes from when first used.
    var handleSource: HandleScope.Source?
    /// The handle scope, once made or set.
    private(set) var scope: HandleScope?

    /// How much host memory one lifted value is charged (see `TypeLayout.valueNodes`): a
    /// `ComponentValue` takes a 24-byte slot in its array; a variant, option or result also
    /// takes a box (a 16-byte object header, its case index and its payload's slot: at most
    /// 48 bytes), charged as one more value. Strings and byte lists are charged their bytes
    /// on top.
    static let hostBytesPerValue = 48

    init(memory: Memory?, realloc: Function?, stacks: ExecutionStackCache? = nil, encoding: StringEncoding = .utf8,
         lifted: Lifted = .result, liftLimit: Int = ExecutionLimits.default.maxResultBytes) {
        self.memory = memory
        self.realloc = realloc
        self.stacks = stacks
        self.encoding = encoding
        self.lifted = lifted
        self.liftLimit = liftLimit
    }

    /// Readies an access kept from an earlier operation with the same canonical options (and
    /// the same memory and realloc, which live as long as the instance) for the next one, as a
    /// new access would start: nothing charged, the call's `liftLimit`, and handles mapped
    /// through `table`, the handle table its component instance has now (a reset may have
    /// replaced it). A scope whose lends were not all released is not reused.
    func reuse(liftLimit: Int, table: HandleTable) {
        liftCharged = 0
        self.liftLimit = liftLimit
        if let source = handleSource, source.table !== table {
            handleSource = HandleScope.Source(table: table, resources: source.resources, instance: source.instance, context: source.context)
            scope = nil
        }
        if let scope, scope.table !== table || !scope.lenders.isEmpty { self.scope = nil }
    }

    /// The handle operations, or a trap when a resource value appears where none can be mapped.
    func requireHandles() throws -> HandleScope {
        guard let handles else { throw ComponentError.trap("canonical ABI: a resource handle where no handle table is available") }
        return handles
    }

    private func requireMemory() throws -> Memory {
        guard let memory else { throw ComponentError.trap("canonical ABI: no memory option for a value that needs memory") }
        return memory
    }

    /// Traps unless `[pointer, pointer + count)` lies inside linear memory.
    func check(_ pointer: Int, _ count: Int, _ what: @autoclosure () -> String) throws {
        try check(pointer, count, in: try requireMemory(), what())
    }

    /// Traps unless `[pointer, pointer + count)` lies inside `memory`.
    private func check(_ pointer: Int, _ count: Int, in memory: Memory, _ what: @autoclosure () -> String) throws {
        let size = memory.byteCount
        guard pointer >= 0, count >= 0, pointer <= size, count <= size - pointer else {
            throw Self.outOfBounds(what(), pointer, count, size)
        }
    }

    private static func outOfBounds(_ what: String, _ pointer: Int, _ count: Int, _ size: Int) -> ComponentError {
        .trap("\(what) out of bounds: \(count) bytes at address \(pointer) (memory is \(size) bytes)")
    }

    /// Runs `body` over `[pointer, pointer + count)` of guest memory, writable, after one
    /// bounds check (`count` > 0).
    private func withMutableRange<T>(_ pointer: Int, _ count: Int, _ what: @autoclosure () -> String,
                                     _ body: (UnsafeMutableRawBufferPointer) throws -> T) throws -> T {
        let memory = try requireMemory()
        try check(pointer, count, in: memory, what())
        return try memory.withUnsafeMutableBufferPointer(offset: UInt(pointer), count: count, body)
    }

    /// Traps unless `pointer` is a multiple of `alignment`.
    func checkAlignment(_ pointer: Int, _ alignment: Int, _ what: @autoclosure () -> String) throws {
        guard pointer % alignment == 0 else {
            throw ComponentError.trap("\(what()): address \(pointer) is not \(alignment)-byte aligned")
        }
    }

    /// Charges `bytes` of host memory for values about to be lifted; throws once the total
    /// would pass `liftLimit`, before anything that large is allocated. Only strings and lists
    /// are charged: every other value has a size fixed by its type.
    func charge(_ bytes: Int) throws {
        let (total, overflow) = liftCharged.addingReportingOverflow(bytes)
        liftCharged = overflow ? Int.max : total
        guard liftCharged <= liftLimit else {
            throw ComponentError.valuesTooLarge(what: lifted.description, atLeast: liftCharged, limit: liftLimit)
        }
    }

    func readBytes(_ pointer: Int, _ count: Int, _ what: @autoclosure () -> String) throws -> [UInt8] {
        try withBytes(pointer, count, what()) { Array($0) }
    }

    /// Runs `body` over `[pointer, pointer + count)` of guest memory, read in place (one bounds
    /// check for the whole range).
    func withBytes<T>(_ pointer: Int, _ count: Int, _ what: @autoclosure () -> String, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        let memory = try requireMemory()
        try check(pointer, count, in: memory, what())
        guard count > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try memory.withUnsafeBufferPointer(offset: UInt(pointer), count: count, body)
    }

    func writeBytes(_ pointer: Int, _ bytes: [UInt8], _ what: @autoclosure () -> String) throws {
        try bytes.withUnsafeBytes { try writeBytes(pointer, $0, what()) }
    }

    /// Copies `bytes` into guest memory at `pointer` (one bounds check, one memcpy).
    func writeBytes(_ pointer: Int, _ bytes: UnsafeRawBufferPointer, _ what: @autoclosure () -> String) throws {
        guard !bytes.isEmpty else { return try check(pointer, 0, what()) }
        try withMutableRange(pointer, bytes.count, what()) { buffer in
            buffer.copyMemory(from: bytes)
        }
    }

    /// Little-endian load of `size` bytes (1, 2, 4 or 8) as an unsigned 64-bit integer.
    func load(_ pointer: Int, size: Int, _ what: @autoclosure () -> String) throws -> UInt64 {
        try withBytes(pointer, size, what()) { buffer in
            var value: UInt64 = 0
            for index in (0..<buffer.count).reversed() { value = value << 8 | UInt64(buffer[index]) }
            return value
        }
    }

    /// Little-endian store of the low `size` bytes (1 to 8) of a value of `layout`'s type, the
    /// type named in a bounds error. The canonical ABI's stores go through here: unlike the
    /// message closure of `store(_:size:_:_:)`, which captured the layout and so retained and
    /// released it around every store, the layout is only borrowed.
    func store(_ pointer: Int, size: Int, _ value: UInt64, valueOf layout: TypeLayout) throws {
        guard let memory else { throw ComponentError.trap("canonical ABI: no memory option for a value that needs memory") }
        let byteCount = memory.byteCount
        guard size > 0 else {
            guard pointer >= 0, pointer <= byteCount else { throw Self.outOfBounds("\(layout.type) value", pointer, 0, byteCount) }
            return
        }
        guard pointer >= 0, pointer <= byteCount, size <= byteCount - pointer else {
            throw Self.outOfBounds("\(layout.type) value", pointer, size, byteCount)
        }
        memory.withUnsafeMutableBufferPointer(offset: UInt(pointer), count: size) { buffer in
            for index in 0..<buffer.count { buffer[index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
        }
    }

    /// Little-endian store of the low `size` bytes of `value`.
    func store(_ pointer: Int, size: Int, _ value: UInt64, _ what: @autoclosure () -> String) throws {
        guard size > 0 else { return try check(pointer, 0, what()) }
        try withMutableRange(pointer, size, what()) { buffer in
            for index in 0..<buffer.count { buffer[index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
        }
    }

    /// Allocates guest memory through `cabi_realloc(0, 0, align, size)`. Called even for size 0,
    /// as the canonical ABI does (some guests rely on that call).
    func allocate(size: Int, alignment: Int, _ what: @autoclosure () -> String) throws -> Int {
        guard let realloc else { throw ComponentError.trap("\(what()): no realloc option to allocate guest memory") }
        guard size <= Int(UInt32.max) else { throw ComponentError.trap("\(what()): \(size) bytes do not fit in 32-bit memory") }
        let arguments: [Value] = [.i32(0), .i32(0), .i32(UInt32(alignment)), .i32(UInt32(size))]
        let results = try stacks?.invoke(realloc, arguments) ?? realloc.invoke(arguments)
        guard results.count == 1, case .i32(let raw) = results[0] else {
            throw ComponentError.trap("\(what()): cabi_realloc returned \(results) instead of one i32")
        }
        let pointer = Int(raw)
        try checkAlignment(pointer, alignment, "\(what()): cabi_realloc result")
        try check(pointer, size, "\(what()): cabi_realloc result")
        return pointer
    }
}
