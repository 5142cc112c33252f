import Foundation

/// A value guarded by a lock, for the few pieces of state shared between threads (the app map,
/// the open connections). Kept here rather than importing NIOConcurrencyHelpers, which
/// Package.swift does not list for this target.
final class Locked<Value>: @unchecked Sendable {
    // @unchecked: every access to `value` goes through `lock`.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with exclusive access to the value.
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
