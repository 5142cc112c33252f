import Synchronization

/// A value guarded by a lock, for the few pieces of state shared between threads (the app map,
/// the open connections): a `Mutex` in a class, so that it can be shared by reference and kept
/// in structs that are copied.
final class Locked<Value>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: sending Value) {
        mutex = Mutex(value)
    }

    /// Runs `body` with exclusive access to the value.
    func withLock<T, E: Error>(_ body: (inout sending Value) throws(E) -> sending T) throws(E) -> sending T {
        try mutex.withLock(body)
    }
}
