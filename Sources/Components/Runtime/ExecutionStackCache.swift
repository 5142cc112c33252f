import WasmKit

/// Execution stacks one component instance keeps between its calls into core functions.
///
/// `Function.invoke(_:)` allocates an interpreter stack (the engine's `stackSize`, 512 KiB by
/// default) for every call and frees it after; lowering a value into a guest calls its
/// `cabi_realloc` once per string or list, so a call pays that allocation several times. A
/// stack holds no state between calls (every frame is written before it is read), so one can
/// serve the next call. Calls nest (an export calls a host import, which calls `cabi_realloc`;
/// a guest `realloc` may itself call an import), and a stack in use must never serve a nested
/// call: each call takes a stack out of the cache and puts it back when it returns, and a
/// nested call finding the cache empty gets a fresh one. Not thread-safe: an instance runs one
/// call at a time.
final class ExecutionStackCache {
    private let engine: Engine
    /// Kept stacks; two cover an export's call and one nested `cabi_realloc` at a time.
    private var first: ExecutionStack?
    private var second: ExecutionStack?

    init(engine: Engine) {
        self.engine = engine
    }

    /// `function(arguments)` on a kept stack (or a new one when all are in use).
    func invoke(_ function: Function, _ arguments: [Value]) throws -> [Value] {
        var stack = take()
        let results = Result { try function.invoke(arguments, on: &stack) }
        keep(stack)
        return try results.get()
    }

    private func take() -> ExecutionStack {
        if let stack = first.take() { return stack }
        if let stack = second.take() { return stack }
        return ExecutionStack(engine: engine)
    }

    /// Puts `stack` back in a free slot; one that finds none is freed when `stack` goes.
    private func keep(_ stack: consuming ExecutionStack) {
        if first == nil {
            first = consume stack
        } else if second == nil {
            second = consume stack
        }
    }
}
