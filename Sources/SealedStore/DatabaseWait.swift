import Synchronization

/// The store's waits for PostgreSQL on the calling thread, and who is told before each.
///
/// The store's API is synchronous: a call into it waits for the database on the caller's
/// thread. A server runs short calls on its event loops, where such a wait stalls every
/// connection of that loop for a round trip; the server installs an observer that moves the
/// waiting call's export off its event loops for good (as it does for an HTTPS request).
public enum DatabaseWait {
    private static let observer = Mutex<(@Sendable () -> Void)?>(nil)

    /// Sets what runs before every wait of the store for the database (nil: nothing). The
    /// observer runs on the waiting thread, so it can find the call that waits.
    public static func setObserver(_ body: (@Sendable () -> Void)?) {
        observer.withLock { $0 = body }
    }

    /// Tells the observer that this thread is about to wait for the database.
    static func willWait() {
        observer.withLock { $0 }?()
    }
}
