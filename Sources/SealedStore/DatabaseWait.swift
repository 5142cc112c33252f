import Synchronization

/// The store's waits for PostgreSQL on the calling thread, and who is told before each.
///
/// The store's API is synchronous: a call into it waits for the database on the caller's
/// thread. A server runs short calls on its event loops, where such a wait stalls every
/// connection of that loop for a round trip; the server installs an observer that moves the
/// waiting call's export off its event loops for good (as it does for an HTTPS request).
public enum DatabaseWait {
    /// The observer, in a class: a closure kept in the generic `Mutex` itself came back wrapped
    /// in two more reabstraction thunks from every `withLock` that read it (the inout value was
    /// converted in and out), so each wait ran the observer deeper and slower than the last,
    /// without bound. A class reference is never converted.
    private final class Observer: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    private static let observer = Mutex<Observer?>(nil)

    /// Sets what runs before every wait of the store for the database (nil: nothing). The
    /// observer runs on the waiting thread, so it can find the call that waits.
    public static func setObserver(_ body: (@Sendable () -> Void)?) {
        let boxed = body.map(Observer.init)
        observer.withLock { $0 = boxed }
    }

    /// Tells the observer that this thread is about to wait for the database.
    static func willWait() {
        observer.withLock { $0 }?.body()
    }
}
